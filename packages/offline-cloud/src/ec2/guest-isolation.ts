/**
 * Keeping a user data script's absolute paths inside its instance: /opt, /var/log and /tmp of the script
 * are <instanceDir>/rootfs/{opt,var/log,tmp}, never this machine's.
 *
 * First choice, a mount namespace of its own (`unshare --mount` as root, `unshare --map-root-user --mount`
 * otherwise) with the instance's folders bind-mounted over those paths; the script then runs unchanged, as
 * root (as cloud-init runs it: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html).
 * (OFFLINE_CLOUD_GUEST_ISOLATION=userns asks for the latter even as root.)
 * Where namespaces are not available (probed once) or OFFLINE_CLOUD_GUEST_ISOLATION=rewrite asks for it, the
 * fallback runs the script with those literal paths rewritten to the instance's folders, and says so loudly:
 * a path the script computes at run time (`d=/o; mkdir ${d}pt`) would escape it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLOCK_PRELOAD } from '../clock';

export type Isolation = { kind: 'namespace'; unshare: string; flags: string[] } | { kind: 'rewrite'; why: string };

/** The guest paths that land in the instance's folder. */
export const GUEST_MOUNTS = ['/tmp', '/var/log', '/opt'] as const;

let probed: Isolation | undefined;

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    const p = path.join(dir, tool);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Whether this machine lets us make a mount namespace and bind-mount in it (once per process). */
export function guestIsolation(): Isolation {
  const asked = process.env.OFFLINE_CLOUD_GUEST_ISOLATION;
  if (asked === 'rewrite') return { kind: 'rewrite', why: 'OFFLINE_CLOUD_GUEST_ISOLATION=rewrite' };
  // `userns`: the non-root way (a user namespace mapping this user to root) even when running as root, to test it
  if (asked === 'userns') return probe(['--map-root-user', '--mount']);
  if (probed) return probed;
  probed = probe(process.getuid?.() === 0 ? ['--mount'] : ['--map-root-user', '--mount']);
  return probed;
}

function probe(flags: string[]): Isolation {
  const unshare = which('unshare');
  if (!unshare) return { kind: 'rewrite', why: 'no unshare (util-linux) on PATH' };
  const a = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ns-probe-'));
  const b = path.join(a, 'b');
  fs.mkdirSync(b);
  const r = spawnSync(unshare, [...flags, 'sh', '-c', `mount --bind '${a}' '${b}'`], { timeout: 5000, encoding: 'utf8' });
  fs.rmSync(a, { recursive: true, force: true });
  return r.status === 0
    ? { kind: 'namespace', unshare, flags }
    : { kind: 'rewrite', why: `unshare ${flags.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}` };
}

/**
 * Host paths the guest must still see at their own path (the data folder, the stand-ins and the device pacing, the
 * clock preload, the SDK, node) though they sit under an overlaid folder (a checkout under /tmp, say).
 */
function keptPaths(dataDir: string): string[] {
  const sdk = path.dirname(require.resolve('@aws-sdk/client-s3/package.json'));
  return [dataDir, path.join(__dirname, 'guest'), path.dirname(CLOCK_PRELOAD), path.resolve(sdk, '..', '..'), path.dirname(process.execPath)].map((p) =>
    fs.realpathSync(p),
  );
}

/**
 * A bash script that, inside the new namespace, saves each overlaid folder aside (guest/host/…), mounts the
 * instance's folder over it, re-mounts the kept host paths under it, then runs the user data. Paths are relative
 * to the instance folder (its cwd), which stays reachable whatever is mounted over its absolute path.
 */
export function namespaceBootScript(instanceDir: string, dataDir: string, userDataFile: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // mkdir and mount from this machine's PATH: the guest's own tools sit in the data folder, hidden until re-mounted
  const lines = ['set -e', 'GUEST_PATH="$PATH"', `PATH=${q(process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')}`, `cd ${q(instanceDir)}`];
  const mounted: string[] = [];
  for (const m of GUEST_MOUNTS) {
    if (!fs.existsSync(m)) continue; // mounting over it would first create it on this machine
    lines.push(`mkdir -p guest/host${m} rootfs${m}`, `mount --bind ${m} guest/host${m}`, `mount --bind rootfs${m} ${m}`);
    mounted.push(m);
  }
  for (const k of keptPaths(dataDir)) {
    const under = mounted.find((m) => k.startsWith(`${m}/`));
    if (under) lines.push(`mkdir -p ${q(k)}`, `mount --bind ${q(`guest/host${k}`)} ${q(k)}`);
  }
  lines.push('PATH="$GUEST_PATH"', `exec ${q(userDataFile)}`);
  return `${lines.join('\n')}\n`;
}

/** The fallback: the script with its literal /opt, /var/log and /tmp paths pointing into the instance's rootfs. */
export function rewriteAbsolutePaths(script: string, rootfs: string): string {
  const re = new RegExp(`(^|[\\s"'=:(>|;])(${GUEST_MOUNTS.map((m) => m.replace(/\//g, '\\/')).join('|')})(?=[/\\s"';)|&]|$)`, 'gm');
  return script.replace(re, (_all, before: string, dir: string) => `${before}${rootfs}${dir}`);
}
