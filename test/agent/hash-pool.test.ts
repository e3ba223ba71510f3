import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HashPool } from '../../runtime/agent/hash-pool';
import { sha256 } from './fixture';

const BS = 4096; // small blocks: the pool is block-size agnostic
let pool: HashPool;
let dir: string;
beforeAll(() => {
  pool = new HashPool(2);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-pool-'));
});
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

const copyOf = (b: Uint8Array) => Uint8Array.from(b).buffer;

describe('HashPool', () => {
  it('readBlocks reads at the position, hashes each block, reports zero blocks as null and zero-fills past the end', async () => {
    const data = Buffer.concat([randomBytes(BS), Buffer.alloc(BS), randomBytes(BS / 2)]);
    const file = join(dir, 'src.img');
    writeFileSync(file, Buffer.concat([randomBytes(BS), data]));
    const fd = openSync(file, 'r');
    try {
      const r = await pool.readBlocks(fd, BS, new ArrayBuffer(4 * BS), 4 * BS, BS);
      const bytes = Buffer.from(r.buffer);
      expect(bytes.subarray(0, data.length).equals(data)).toBe(true);
      expect(bytes.subarray(data.length).equals(Buffer.alloc(4 * BS - data.length))).toBe(true);
      const third = Buffer.concat([data.subarray(2 * BS), Buffer.alloc(BS / 2)]);
      expect(r.hashes).toEqual([sha256(data.subarray(0, BS)), null, sha256(third), null]);
    } finally {
      closeSync(fd);
    }
  });

  it("a SharedArrayBuffer is read into in place and stays the caller's own object; an ArrayBuffer comes back as a new one", async () => {
    const data = randomBytes(2 * BS);
    const file = join(dir, 'shared.img');
    writeFileSync(file, data);
    const fd = openSync(file, 'r');
    try {
      const shared = new SharedArrayBuffer(2 * BS);
      const r = await pool.readBlocks(fd, 0, shared, 2 * BS, BS);
      expect(r.buffer).toBe(shared);
      expect(Buffer.from(shared).equals(data)).toBe(true); // the worker's read landed in the caller's memory
      expect(r.hashes).toEqual([sha256(data.subarray(0, BS)), sha256(data.subarray(BS))]);
      const moved = new ArrayBuffer(2 * BS);
      const t = await pool.readBlocks(fd, 0, moved, 2 * BS, BS);
      expect(moved.byteLength).toBe(0); // transferred away: detached
      expect(Buffer.from(t.buffer).equals(data)).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('verifyAndWrite from a SharedArrayBuffer: a bad block writes nothing, good ones are written', async () => {
    const file = join(dir, 'shared-target.img');
    writeFileSync(file, Buffer.alloc(2 * BS, 9));
    const a = randomBytes(BS),
      b = randomBytes(BS);
    const shared = new SharedArrayBuffer(2 * BS);
    Buffer.from(shared).set(Buffer.concat([a, b]));
    const fd = openSync(file, 'r+');
    try {
      const writes = [{ offset: 0, length: 2 * BS, position: 0 }];
      expect((await pool.verifyAndWrite(fd, shared, 2 * BS, BS, [sha256(b), sha256(b)], writes)).mismatch).toBe(0);
      expect(readFileSync(file).equals(Buffer.alloc(2 * BS, 9))).toBe(true);
      const good = await pool.verifyAndWrite(fd, shared, 2 * BS, BS, [sha256(a), sha256(b)], writes);
      expect(good.mismatch).toBeUndefined();
      expect(good.buffer).toBe(shared);
      expect(readFileSync(file).equals(Buffer.concat([a, b]))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('many tasks at once (more than workers × depth) each get their own answer', async () => {
    const blocks = Array.from({ length: 25 }, () => randomBytes(BS));
    const results = await Promise.all(blocks.map((b) => pool.hashBlocks(copyOf(b), BS)));
    expect(results.map((r) => r.hashes[0])).toEqual(blocks.map((b) => sha256(b)));
    results.forEach((r, i) => expect(Buffer.from(r.buffer).equals(blocks[i])).toBe(true));
  });

  it('verifyAndWrite writes only when every block is the expected one', async () => {
    const file = join(dir, 'target.img');
    writeFileSync(file, Buffer.alloc(4 * BS, 9));
    const a = randomBytes(BS),
      b = randomBytes(BS);
    const fd = openSync(file, 'r+');
    try {
      const writes = [{ offset: 0, length: 2 * BS, position: 2 * BS }];
      const bad = await pool.verifyAndWrite(fd, copyOf(Buffer.concat([a, b])), 2 * BS, BS, [sha256(a), sha256(a)], writes);
      expect(bad.mismatch).toBe(1);
      expect(bad.hashes[1]).toBe(sha256(b));
      expect(readFileSync(file).equals(Buffer.alloc(4 * BS, 9))).toBe(true); // nothing written

      const good = await pool.verifyAndWrite(fd, copyOf(Buffer.concat([a, b])), 2 * BS, BS, [sha256(a), sha256(b)], writes);
      expect(good.mismatch).toBeUndefined();
      expect(readFileSync(file).equals(Buffer.concat([Buffer.alloc(2 * BS, 9), a, b]))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  it('an I/O error fails that task with the system error code, and the pool keeps working', async () => {
    const fd = openSync(join(dir, 'src.img'), 'r');
    closeSync(fd);
    await expect(pool.readBlocks(fd, 0, new ArrayBuffer(BS), BS, BS)).rejects.toMatchObject({
      code: 'EBADF',
      message: expect.stringMatching(/^read task: EBADF/),
    });
    const ok = randomBytes(BS);
    await expect(pool.hashBlocks(copyOf(ok), BS)).resolves.toMatchObject({ hashes: [sha256(ok)] });
  });
});
