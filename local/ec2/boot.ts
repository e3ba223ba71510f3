/**
 * "Booting" an instance: when it reaches running and its user data has a line
 * `# offline-boot: node s3://BUCKET/KEY`, the script is fetched from the cloud's own S3 and run as a
 * child process that sees the instance's attached volumes as files through device links.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CloudContext } from '../context';
import type { VolumeStorage } from '../storage/volume-storage';
import { InstanceInterfaces } from './instance-network';
import type { Ec2Model } from './model';
import type { Verdict } from './reachability';
import type { InstanceProcesses } from './world';
import { startImdsEndpoint, type ImdsEndpoint } from './imds-endpoint';

/** Restated from the agent contract (local/ must not import lambda/): the device folder variable and link names. */
export const DEVICE_DIR_ENV = 'OFFLINE_EC2_DEVICE_DIR';
export function deviceLinkName(volumeId: string): string {
  return `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`;
}

const BOOT_LINE = /^#\s*offline-boot:\s*node\s+s3:\/\/([^/\s]+)\/(\S+)\s*$/m;

/** The S3 location of the boot script named in base64 user data, if any. */
export function bootScriptLocation(userData: string | undefined): { bucket: string; key: string } | undefined {
  if (!userData) return undefined;
  const m = BOOT_LINE.exec(Buffer.from(userData, 'base64').toString('utf8'));
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/** `unref`: a boot still waiting must not keep a stopped cloud's process alive. */
const sleep = (ms: number, unref = false) =>
  new Promise((r) => {
    const timer = setTimeout(r, ms);
    if (unref) timer.unref();
  });

export class BootManager implements InstanceProcesses {
  private readonly children = new Map<string, ChildProcess>();
  private readonly imdsEndpoints = new Map<string, ImdsEndpoint>();
  /** Boot attempt per instance; a kill or a newer boot makes an in-flight fetch stand down. */
  private readonly attempts = new Map<string, number>();
  private nextAttempt = 0;
  private closed = false;
  private readonly interfaces: InstanceInterfaces;

  constructor(
    private readonly ctx: CloudContext,
    private readonly storage: VolumeStorage,
    private readonly model: () => Ec2Model,
    private readonly reach: (instanceId: string, service: string) => Verdict,
  ) {
    this.interfaces = new InstanceInterfaces(() => ctx.endpoint(), reach, (m) => ctx.log(m));
  }

  instanceDir(instanceId: string): string {
    return path.join(this.ctx.dataDir, 'instances', instanceId);
  }

  deviceDir(instanceId: string): string {
    return path.join(this.instanceDir(instanceId), 'dev', 'disk', 'by-id');
  }

  boot(instanceId: string): void {
    if (this.ctx.outages?.isDown(this.ctx.region)) return; // its region is down: it boots again when it is back
    const inst = this.model().instances[instanceId];
    const where = bootScriptLocation(inst?.userData);
    if (!where || this.closed) return;
    const attempt = ++this.nextAttempt;
    this.attempts.set(instanceId, attempt);
    this.run(instanceId, where, attempt).catch((err) => this.note(instanceId, `boot failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  private current(instanceId: string, attempt: number): boolean {
    return !this.closed && this.attempts.get(instanceId) === attempt && this.model().instances[instanceId]?.state === 'running';
  }

  private async run(instanceId: string, where: { bucket: string; key: string }, attempt: number): Promise<void> {
    // The guest OS boots before its user data runs; a stop or kill meanwhile cancels the boot.
    if (this.ctx.timings.bootMs > 0) await sleep(this.ctx.timings.bootMs, true);
    if (!this.current(instanceId, attempt)) return;
    await this.endpointWhenListening();
    const endpoint = await this.interfaces.url(instanceId);
    const dir = this.instanceDir(instanceId);
    fs.mkdirSync(dir, { recursive: true });
    const scriptPath = path.join(dir, 'boot.js');
    // The user data's `aws s3 cp` obeys the instance's network as its process will.
    const route = this.reach(instanceId, 's3');
    if (!route.reachable) {
      this.ctx.log(`instance ${instanceId}: S3 unreachable (${route.why})`);
      await sleep(this.ctx.timings.connectTimeoutMs, true);
      if (!this.current(instanceId, attempt)) return;
      const url = `https://${where.bucket}.s3.${this.ctx.region}.amazonaws.com/${where.key}`;
      this.console(instanceId, `fatal error: Connect timeout on endpoint URL: "${url}"`);
      return;
    }
    try {
      fs.writeFileSync(scriptPath, await this.fetch(endpoint, where));
    } catch (err) {
      // After a restart the object may be gone; the copy saved at first boot still runs.
      if (!fs.existsSync(scriptPath)) throw err;
      this.note(instanceId, `fetching s3://${where.bucket}/${where.key} failed, running the saved copy`);
    }
    if (!this.current(instanceId, attempt)) return;
    this.refreshDevices(instanceId);
    this.imdsEndpoints.get(instanceId)?.close();
    const imds = await startImdsEndpoint(this.ctx.endpoint(), instanceId); // IMDS is always reachable: not through the interface
    this.imdsEndpoints.set(instanceId, imds);
    if (!this.current(instanceId, attempt)) return this.closeImds(instanceId);
    const out = fs.openSync(path.join(dir, 'console.log'), 'a');
    const child = spawn(process.execPath, [scriptPath], {
      cwd: dir,
      stdio: ['ignore', out, out],
      env: {
        PATH: process.env.PATH ?? '',
        // No keys here: as on EC2, the instance's credentials are its instance profile's, served by IMDS (none
        // without a profile), and HOME is the instance's own so no shared credentials file of this machine leaks in.
        HOME: dir,
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: this.ctx.region,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
        [DEVICE_DIR_ENV]: this.deviceDir(instanceId),
      },
    });
    fs.closeSync(out);
    this.children.set(instanceId, child);
    child.on('exit', (code, signal) => {
      if (this.children.get(instanceId) === child) {
        this.children.delete(instanceId);
        this.closeImds(instanceId);
      }
      this.ctx.log(`instance ${instanceId}: boot script exited (${signal ?? code})`);
    });
  }

  private async fetch(endpoint: string, where: { bucket: string; key: string }): Promise<Uint8Array> {
    const s3 = new S3Client({
      endpoint,
      region: this.ctx.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'offline', secretAccessKey: 'offline' },
    });
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: where.key }));
      return await res.Body!.transformToByteArray();
    } finally {
      s3.destroy();
    }
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

  kill(instanceId: string): boolean {
    this.attempts.delete(instanceId);
    this.interfaces.close(instanceId);
    this.closeImds(instanceId);
    const child = this.children.get(instanceId);
    if (!child) return false;
    this.children.delete(instanceId);
    return child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
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
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.children.keys()]) this.kill(id);
    this.interfaces.closeAll();
    this.attempts.clear();
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
