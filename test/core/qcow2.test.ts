import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { qcow2Layout, QCOW2_CLUSTER_SIZE } from '../../runtime/core/export/qcow2';

const C = QCOW2_CLUSTER_SIZE;
const hasQemuImg = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function writeImage(file: string, size: number, blocks: Map<number, Buffer>): void {
  const indexes = [...blocks.keys()].sort((a, b) => a - b);
  const layout = qcow2Layout(size, indexes);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, layout.metadata, 0, layout.metadata.length, 0);
  for (const i of indexes) fs.writeSync(fd, blocks.get(i)!, 0, C, layout.dataOffsets.get(i));
  fs.closeSync(fd);
}

describe('qcow2 layout', () => {
  it('places one data cluster per block, after the metadata, in block order', () => {
    const layout = qcow2Layout(64 * 1024 ** 3, [0, 5, 70000]);
    const offsets = [...layout.dataOffsets.values()];
    expect(offsets[0]).toBe(layout.metadata.length);
    expect(offsets[1] - offsets[0]).toBe(C);
    expect(layout.fileSize).toBe(layout.totalClusters * C);
    expect(layout.metadata.subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
  });

  it('rejects unordered blocks and blocks past the end', () => {
    expect(() => qcow2Layout(4 * C, [2, 1])).toThrow(/ascending/);
    expect(() => qcow2Layout(4 * C, [4])).toThrow(/outside/);
    expect(() => qcow2Layout(1000, [])).toThrow(/multiple/);
  });

  it('is a valid image that qemu-img reads back as the same bytes', () => {
    if (!hasQemuImg) {
      console.warn('SKIPPING the qemu-img check/compare of qcow2 output: qemu-img is not installed (apt-get install qemu-utils)');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qcow2-'));
    const size = 80 * 1024 * 1024 * 1024; // two L2 tables' worth (32 GiB each) and more
    const blocks = new Map<number, Buffer>();
    for (const i of [0, 1, 77, 65536, 65537, 140000]) blocks.set(i, crypto.randomBytes(C));
    const qcow = path.join(dir, 'disk.qcow2');
    writeImage(qcow, size, blocks);
    expect(() => execFileSync('qemu-img', ['check', qcow], { stdio: 'pipe' })).not.toThrow();
    const raw = path.join(dir, 'disk.raw');
    const fd = fs.openSync(raw, 'w');
    fs.ftruncateSync(fd, size);
    for (const [i, data] of blocks) fs.writeSync(fd, data, 0, C, i * C);
    fs.closeSync(fd);
    // exit 0 = identical content
    expect(() => execFileSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', qcow, raw], { stdio: 'pipe' })).not.toThrow();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
