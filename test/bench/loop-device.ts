/**
 * A real block device for the importer's figures: a loop device over a new file on this VM's disk, with
 * direct I/O on (the loop driver then passes writes to the disk, as a virtual disk does, without caching
 * them twice). Needs root and losetup; where either is missing the figure says why instead.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type LoopResult<T> = { readonly device: string; readonly value: T } | { readonly unavailable: string };

export async function onNewLoopDevice<T>(dir: string, bytes: number, use: (device: string) => Promise<T>): Promise<LoopResult<T>> {
  const backing = path.join(dir, `loop-${process.pid}-${Date.now()}.img`);
  fs.writeFileSync(backing, '');
  fs.truncateSync(backing, bytes);
  try {
    const attach = spawnSync('losetup', ['--find', '--show', '--direct-io=on', backing], { encoding: 'utf8' });
    if (attach.status !== 0) return { unavailable: `losetup: ${(attach.stderr || attach.error?.message || 'failed').trim()}` };
    const device = attach.stdout.trim();
    try {
      return { device, value: await use(device) };
    } finally {
      spawnSync('losetup', ['--detach', device]);
    }
  } finally {
    fs.rmSync(backing, { force: true });
  }
}
