/**
 * "Booting" an instance: when it reaches running, the guest OS boots (timings.bootMs), then cloud-init runs its
 * user data script once, at first boot, as root (user-data.ts), in the guest OS of guest-os.ts with its absolute
 * paths kept in the instance's folder (guest-isolation.ts). The script's output is the instance's console
 * (GetConsoleOutput); its `shutdown` reaches EC2 through the model (shutdown-watch.ts).
 */
import { guestDeviceFacts } from './device-rates';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CloudContext } from '../context';
import type { VolumeStorage } from '../storage/volume-storage';
import { guestIsolation, namespaceBootScript, rewriteAbsolutePaths } from './guest-isolation';
import { bootEnvironment, deviceFactsFile, guestPaths, prepareGuest } from './guest-os';
import { InstanceInterfaces } from './instance-network';
import type { Ec2Model } from './model';
import type { Verdict } from './reachability';
import { ShutdownWatch } from './shutdown-watch';
import { classifyUserData } from './user-data';
import type { InstanceProcesses } from './world';
import { startImdsEndpoint, type ImdsEndpoint } from './imds-endpoint';

/** How AWS Nitro names a volume's NVMe link in /dev/disk/by-id (restated: src/ must not import lambda/). */
export function deviceLinkName(volumeId: string): string {
  return `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`;
}

/** Where cloud-init keeps the script part of the user data; its failure line on the console names it. */
const SCRIPT_NAME = '/var/lib/cloud/instance/scripts/part-001';

/** `unref`: a boot still waiting must not keep a stopped cloud's process alive. */
const sleep = (ms: number, unref = false) =>
  new Promise((r) => {
    const timer = setTimeout(r, ms);
    if (unref) timer.unref();
  });

export class BootManager implements InstanceProcesses {
  private readonly children = new Map<string, ChildProcess>();
  private readonly imdsEndpoints = new Map<string, ImdsEndpoint>();
  /** Boot attempt per instance; a kill or a newer boot makes an in-flight boot stand down. */
  private readonly attempts = new Map<string, number>();
  private nextAttempt = 0;
  private closed = false;
  private readonly interfaces: InstanceInterfaces;
  private readonly shutdowns: ShutdownWatch;

  constructor(
    private readonly ctx: CloudContext,
    private readonly storage: VolumeStorage,
    private readonly model: () => Ec2Model,
    reach: (instanceId: string, service: string, region?: string) => Verdict,
    /** The guest OS powered off (`shutdown`): EC2 applies the instance's InstanceInitiatedShutdownBehavior. */
    halt: (instanceId: string) => void,
  ) {
    this.interfaces = new InstanceInterfaces(
      () => ctx.endpoint(),
      reach,
      (m) => ctx.log(m),
    );
    this.shutdowns = new ShutdownWatch(
      (id) => path.join(this.instanceDir(id), 'guest'),
      (id) => {
        this.note(id, 'the guest OS powered off (shutdown)');
        halt(id);
      },
      ctx.clock,
    );
  }

  instanceDir(instanceId: string): string {
    return path.join(this.ctx.dataDir, 'instances', instanceId);
  }

  deviceDir(instanceId: string): string {
    return guestPaths(this.instanceDir(instanceId)).deviceDir;
  }

  /** `afterRestart`: the cloud restarted under a running instance; its user data runs again (its processes did not survive). */
  boot(instanceId: string, opts: { afterRestart?: boolean } = {}): void {
    if (this.closed || !this.model().instances[instanceId]) return;
    if (this.ctx.outages?.isDown(this.ctx.region)) return; // its region is down: it boots again when it is back
    const attempt = ++this.nextAttempt;
    this.attempts.set(instanceId, attempt);
    this.run(instanceId, attempt, opts.afterRestart === true).catch((err) =>
      this.note(instanceId, `boot failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private current(instanceId: string, attempt: number): boolean {
    return !this.closed && this.attempts.get(instanceId) === attempt && this.model().instances[instanceId]?.state === 'running';
  }

  private async run(instanceId: string, attempt: number, afterRestart: boolean): Promise<void> {
    // The guest OS boots before its user data runs; a stop or kill meanwhile cancels the boot.
    if (this.ctx.timings.bootMs > 0) await sleep(this.ctx.clock.realDelay(this.ctx.timings.bootMs), true);
    if (!this.current(instanceId, attempt)) return;
    const dir = this.instanceDir(instanceId);
    const paths = guestPaths(dir);
    fs.mkdirSync(paths.guestDir, { recursive: true });
    this.shutdowns.watch(instanceId);
    const userData = classifyUserData(this.model().instances[instanceId]?.userData);
    if (userData.kind === 'none') return;
    if (userData.kind === 'unsupported') return this.note(instanceId, `cloud-init: ${userData.what} is not supported by the offline cloud; nothing ran`);
    // cloud-init's scripts-user runs once per instance: not again after a stop and start.
    const once = path.join(paths.guestDir, 'sem', 'config_scripts_user');
    if (fs.existsSync(once) && !afterRestart) return this.note(instanceId, 'cloud-init: the user data ran at first boot; it runs once per instance');
    fs.mkdirSync(path.dirname(once), { recursive: true });
    fs.writeFileSync(once, new Date().toISOString());

    await this.endpointWhenListening();
    const endpoint = await this.interfaces.url(instanceId);
    const guestPath = prepareGuest(this.ctx.dataDir, paths, this.ctx.timings.connectTimeoutMs);
    this.refreshDevices(instanceId);
    this.imdsEndpoints.get(instanceId)?.close();
    const imds = await startImdsEndpoint(this.ctx.endpoint(), instanceId); // IMDS is always reachable: not through the interface
    this.imdsEndpoints.set(instanceId, imds);
    if (!this.current(instanceId, attempt)) return this.closeImds(instanceId);
    const env = bootEnvironment({
      paths,
      guestPath,
      endpoint,
      region: this.ctx.region,
      imdsUrl: imds.url,
      clockEnvironment: this.ctx.clock.childEnvironment(),
    });
    this.start(instanceId, userData.text, env);
  }

  private start(instanceId: string, script: string, env: NodeJS.ProcessEnv): void {
    const paths = guestPaths(this.instanceDir(instanceId));
    const isolation = guestIsolation();
    const scriptFile = path.join(paths.guestDir, 'user-data');
    let command: string;
    let args: string[];
    if (isolation.kind === 'namespace') {
      fs.writeFileSync(scriptFile, script, { mode: 0o755 });
      const setup = path.join(paths.guestDir, 'namespace-boot.sh');
      fs.writeFileSync(setup, namespaceBootScript(paths.instanceDir, this.ctx.dataDir, scriptFile));
      command = isolation.unshare;
      args = [...isolation.flags, path.join(this.ctx.dataDir, 'guest-os', 'bin', 'bash'), setup];
    } else {
      this.ctx.log(
        `OFFLINE CLOUD WARNING: instance ${instanceId}: no mount namespace (${isolation.why}); its user data runs with its literal /opt, /var/log and /tmp paths rewritten into ${paths.rootfs} (paths it computes at run time are not redirected)`,
      );
      fs.writeFileSync(scriptFile, rewriteAbsolutePaths(script, paths.rootfs), { mode: 0o755 });
      command = scriptFile;
      args = [];
    }
    const out = fs.openSync(path.join(paths.instanceDir, 'console.log'), 'a');
    // detached: a process group of its own, so a kill reaches the script and everything it started
    const child = spawn(command, args, { cwd: paths.instanceDir, stdio: ['ignore', out, out], env, detached: true });
    fs.closeSync(out);
    this.children.set(instanceId, child);
    child.on('error', (err) => this.note(instanceId, `cloud-init: could not run the user data: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.children.get(instanceId) === child) this.children.delete(instanceId);
      if (code) this.console(instanceId, `[offline cloud] cloud-init: Failed running ${SCRIPT_NAME} [${code}]`);
      this.ctx.log(`instance ${instanceId}: user data exited (${signal ?? code})`);
    });
  }

  /** The cloud restores its state before it listens; a re-boot waits for the port. */
  private async endpointWhenListening(): Promise<string> {
    for (let i = 0; ; i++) {
      try {
        return this.ctx.endpoint();
      } catch (err) {
        if (this.closed || i > 600) throw err;
        await sleep(50);
      }
    }
  }

  private note(instanceId: string, message: string): void {
    this.ctx.log(`instance ${instanceId}: ${message}`);
    this.console(instanceId, `[offline cloud] ${message}`);
  }

  /** A line on the instance's console (GetConsoleOutput). */
  private console(instanceId: string, line: string): void {
    try {
      fs.mkdirSync(this.instanceDir(instanceId), { recursive: true });
      fs.appendFileSync(path.join(this.instanceDir(instanceId), 'console.log'), `${line}\n`);
    } catch {
      // the console is best effort
    }
  }

  private closeImds(instanceId: string): void {
    this.imdsEndpoints.get(instanceId)?.close();
    this.imdsEndpoints.delete(instanceId);
  }

  /** Kills the user data's processes (the agent among them); the VM and its OS (a scheduled shutdown) stay. */
  killProcesses(instanceId: string): boolean {
    const child = this.children.get(instanceId);
    if (!child) return false;
    this.children.delete(instanceId);
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
    try {
      process.kill(-child.pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }

  /** The instance stops or terminates: its processes, interface, IMDS and scheduled shutdown go. */
  kill(instanceId: string): boolean {
    this.attempts.delete(instanceId);
    this.shutdowns.unwatch(instanceId);
    this.interfaces.close(instanceId);
    this.closeImds(instanceId);
    return this.killProcesses(instanceId);
  }

  refreshDevices(instanceId: string): void {
    const dir = this.deviceDir(instanceId);
    const wanted = new Map<string, string>();
    for (const v of Object.values(this.model().volumes)) {
      if (v.attachment?.instanceId === instanceId) wanted.set(deviceLinkName(v.volumeId), this.storage.volumePath(v.volumeId));
    }
    if (wanted.size === 0 && !fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    for (const name of fs.readdirSync(dir)) {
      const link = path.join(dir, name);
      if (wanted.get(name) !== readLink(link)) fs.rmSync(link, { force: true });
    }
    for (const [name, target] of wanted) {
      const link = path.join(dir, name);
      if (!fs.existsSync(link) && !isLink(link)) fs.symlinkSync(target, link);
    }
    this.writeDeviceFacts(instanceId);
  }

  /** What the guest paces its block devices by (device-rates.ts, guest/device-rates.js), rewritten on every attach and detach. */
  private writeDeviceFacts(instanceId: string): void {
    const inst = this.model().instances[instanceId];
    if (!inst) return;
    const attached = Object.values(this.model().volumes).filter((v) => v.attachment?.instanceId === instanceId);
    const facts = guestDeviceFacts(this.ctx, inst, attached, deviceLinkName);
    for (const v of attached) facts.devices[deviceLinkName(v.volumeId)].targetPath = realPath(this.storage.volumePath(v.volumeId));
    const file = deviceFactsFile(guestPaths(this.instanceDir(instanceId)));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(facts));
    fs.renameSync(`${file}.tmp`, file);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.children.keys()]) this.kill(id);
    this.shutdowns.close();
    this.interfaces.closeAll();
    this.attempts.clear();
  }
}

function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
