import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSharedBuffer, SharedBufferPool } from '../../runtime/agent/shared-buffers';

describe('SharedBufferPool', () => {
  it('hands a given-back buffer to the next taker of that size, and a new one otherwise', () => {
    const pool = new SharedBufferPool(1024);
    const a = pool.take(256);
    pool.give(a);
    expect(pool.bytesKept).toBe(256);
    expect(pool.take(128)).not.toBe(a); // another size: a new buffer
    expect(pool.take(256)).toBe(a);
    expect(pool.bytesKept).toBe(0);
    expect(pool.take(256)).not.toBe(a); // taken already: a new one
  });

  it('keeps at most its bound; what is over it is left to the garbage collector', () => {
    const pool = new SharedBufferPool(512);
    const [a, b, c] = [pool.take(256), pool.take(256), pool.take(256)];
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.bytesKept).toBe(512);
    const again = new Set([pool.take(256), pool.take(256), pool.take(256)]);
    expect(again.has(a) && again.has(b)).toBe(true);
    expect(again.has(c)).toBe(false);
  });

  it('takeAligned rounds up to whole 64 KiB pages, and reuses a buffer of that size', () => {
    const pool = new SharedBufferPool(1024 * 1024);
    const a = pool.takeAligned(4096);
    expect(a.byteLength).toBe(64 * 1024);
    expect(pool.takeAligned(64 * 1024 + 1).byteLength).toBe(128 * 1024);
    pool.give(a);
    expect(pool.takeAligned(100)).toBe(a);
  });
});

describe('newSharedBuffer', () => {
  it('is a zero-filled SharedArrayBuffer of exactly the size asked, whole 64 KiB pages or not', () => {
    for (const size of [64 * 1024, 8 * 1024 * 1024, 1000]) {
      const b = newSharedBuffer(size);
      expect(b).toBeInstanceOf(SharedArrayBuffer);
      expect(b.byteLength).toBe(size);
      expect(new Uint8Array(b).every((x) => x === 0)).toBe(true);
    }
  });

  it('of whole pages, is page-aligned: an O_DIRECT write from its start is accepted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-direct-'));
    try {
      const file = join(dir, 'f');
      let fd: number;
      try {
        fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT);
      } catch (e) {
        // This filesystem refuses O_DIRECT altogether (tmpfs before Linux 6.6): the importer falls back.
        expect((e as NodeJS.ErrnoException).code).toBe('EINVAL');
        return;
      }
      try {
        const bytes = new Uint8Array(newSharedBuffer(128 * 1024)).fill(7);
        // On ext4 a buffer off a 512-byte boundary fails with EINVAL (malloc'd ones start 16 bytes past one).
        expect(writeSync(fd, bytes, 0, 64 * 1024, 0)).toBe(64 * 1024);
        expect(writeSync(fd, bytes, 64 * 1024, 64 * 1024, 64 * 1024)).toBe(64 * 1024);
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
