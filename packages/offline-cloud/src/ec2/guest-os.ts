/**
 * The "guest OS" an instance's user data runs in: Amazon Linux 2023 as far as the script can tell. Its PATH
 * holds this machine's basic tools (bash, coreutils, util-linux: an AL2023 image has them), the stand-ins
 * for what cannot run here (guest/*.js: `aws`, `dnf`, `shutdown`) and what dnf installed; nothing else, so
 * `node` exists only after `dnf install nodejs20`. Absolute paths (/opt, /var/log, /tmp) land in the
 * instance's own folder (guest-isolation.ts).
 */
import { CLOCK_PRELOAD } from '../clock';
import fs from 'node:fs';
import path from 'node:path';

/** The tools an AL2023 image ships that a user data script may call, linked from this machine's PATH. */
const BASE_TOOLS = [
  'bash',
  'sh',
  'env',
  'cat',
  'cp',
  'mv',
  'rm',
  'mkdir',
  'rmdir',
  'ln',
  'ls',
  'echo',
  'printf',
  'tee',
  'sleep',
  'date',
  'chmod',
  'chown',
  'touch',
  'head',
  'tail',
  'grep',
  'sed',
  'awk',
  'cut',
  'tr',
  'wc',
  'sort',
  'uniq',
  'basename',
  'dirname',
  'readlink',
  'realpath',
  'id',
  'whoami',
  'uname',
  'true',
  'false',
  'test',
  '[',
  'logger',
  'mktemp',
  'find',
  'xargs',
  'stat',
  'sync',
  'hostname',
  'nohup',
  'setsid',
  'kill',
  'ps',
  'gzip',
  'tar',
  'base64',
  'sha256sum',
  'mount',
];
const STAND_INS = ['aws', 'dnf', 'shutdown'];

/**
 * The offline image's one setting for the software it runs: the folder of the volumes' NVMe links. On EC2
 * they are in /dev/disk/by-id (Nitro; the agent's default); here each instance has its own folder, which the
 * image names in this variable, as an image built for that software could. Only the name is shared, no code.
 */
export const DEVICE_DIR_VARIABLE = 'LIFEBOAT_DEVICE_DIR';

export interface GuestPaths {
  /** <dataDir>/instances/<id> */
  readonly instanceDir: string;
  /** <instanceDir>/guest: the guest OS's state (user data, stand-in shims, installed packages, scheduled shutdown). */
  readonly guestDir: string;
  /** <instanceDir>/rootfs: what the script sees at /opt, /var/log, /tmp. */
  readonly rootfs: string;
  /** <instanceDir>/dev/disk/by-id: the attached volumes' links. */
  readonly deviceDir: string;
}

export function guestPaths(instanceDir: string): GuestPaths {
  return {
    instanceDir,
    guestDir: path.join(instanceDir, 'guest'),
    rootfs: path.join(instanceDir, 'rootfs'),
    deviceDir: path.join(instanceDir, 'dev', 'disk', 'by-id'),
  };
}

/** <dataDir>/guest-os/bin: links to this machine's base tools, shared by every instance. */
function baseToolsDir(dataDir: string): string {
  const dir = path.join(dataDir, 'guest-os', 'bin');
  if (fs.existsSync(path.join(dir, 'bash'))) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const hostPath = (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter);
  for (const tool of BASE_TOOLS) {
    const found = hostPath.map((d) => path.join(d, tool)).find((p) => isExecutable(p));
    if (found && !fs.existsSync(path.join(dir, tool))) fs.symlinkSync(found, path.join(dir, tool));
  }
  return dir;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Writes the stand-ins' launchers (they carry the guest's settings, not the script's environment). */
function writeStandIns(p: GuestPaths, connectTimeoutMs: number): string {
  const dir = path.join(p.guestDir, 'sbin');
  fs.mkdirSync(dir, { recursive: true });
  for (const name of STAND_INS) {
    const js = path.join(__dirname, 'guest', `${name}.js`);
    const launcher = [
      '#!/bin/sh',
      `OFFLINE_GUEST_DIR='${p.guestDir}' OFFLINE_GUEST_CONNECT_TIMEOUT_MS=${connectTimeoutMs} exec '${process.execPath}' --no-warnings '${js}' "$@"`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, name), launcher, { mode: 0o755 });
  }
  return dir;
}

/** Prepares the guest's folders and PATH; answers the PATH. */
export function prepareGuest(dataDir: string, p: GuestPaths, connectTimeoutMs: number): string {
  for (const d of ['opt', 'var/log', 'tmp']) fs.mkdirSync(path.join(p.rootfs, d), { recursive: true });
  fs.mkdirSync(p.deviceDir, { recursive: true });
  const installed = path.join(p.guestDir, 'usr', 'bin');
  fs.mkdirSync(installed, { recursive: true });
  return [installed, writeStandIns(p, connectTimeoutMs), baseToolsDir(dataDir)].join(path.delimiter);
}

/** The facts the guest's block devices are paced by (written on every attach and detach: boot.ts). */
export function deviceFactsFile(p: GuestPaths): string {
  return path.join(p.guestDir, 'device-rates.json');
}

/** The guest kernel's block-device pacing, preloaded into every node process (and worker thread) of the guest. */
const DEVICE_PACING = path.join(__dirname, 'guest', 'device-rates.js');

export interface BootEnvironmentInput {
  readonly paths: GuestPaths;
  readonly guestPath: string;
  /** The instance's network interface (instance-network.ts): all its traffic off the instance goes there. */
  readonly endpoint: string;
  readonly region: string;
  /** The instance's IMDS (imds-endpoint.ts). */
  readonly imdsUrl: string;
  /** Puts the guest's node processes on the cloud clock (clock.ts childEnvironment). */
  readonly clockEnvironment: Record<string, string>;
}

/**
 * The environment the user data runs with: the one place it is built. No keys: as on EC2 the instance's
 * credentials are its instance profile's, from IMDS; HOME is the instance's own so no credentials file of this
 * machine leaks in.
 */
export function bootEnvironment(input: BootEnvironmentInput): NodeJS.ProcessEnv {
  return {
    PATH: input.guestPath,
    HOME: input.paths.instanceDir,
    AWS_ENDPOINT_URL: input.endpoint,
    AWS_REGION: input.region,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: input.imdsUrl,
    [DEVICE_DIR_VARIABLE]: input.paths.deviceDir,
    // the offline kernel's, not the agent's: the guest's node processes keep the cloud's time (clock-preload.js, first,
    // so the pacing below waits cloud time) and read and write its EBS devices at EBS's rates (device-rates.ts)
    NODE_OPTIONS: `--require "${CLOCK_PRELOAD}" --require "${DEVICE_PACING}"`,
    ...input.clockEnvironment,
    LIFEBOAT_DEVICE_RATES: deviceFactsFile(input.paths),
  };
}
