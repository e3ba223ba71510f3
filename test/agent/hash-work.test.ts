/** What a hash worker does with a task (runtime/agent/hash-work.ts), called on this thread: hashes, reads, verified writes. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { firstMismatch, hashBlocks, readFully, runTask } from '../../runtime/agent/hash-work';

const B = 4096;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const filled = (byte: number, n = B) => Buffer.alloc(n, byte);

let dir: string;
let fd: number;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-hash-work-'));
  fs.writeFileSync(path.join(dir, 'device'), Buffer.concat([filled(7), filled(8)]));
  fd = fs.openSync(path.join(dir, 'device'), 'r+');
});
afterEach(() => {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a block of zeros hashes to null, any other to its SHA-256, and a short last block is hashed as it is', () => {
  const bytes = Buffer.concat([filled(0), filled(1), filled(2, 100)]);
  expect(hashBlocks(bytes, B)).toEqual([null, sha(filled(1)), sha(filled(2, 100))]);
  expect(hashBlocks(Buffer.concat([filled(0), filled(0, 10)]), B)).toEqual([null, null]);
});

test('a read past the end of the device fills the rest with zeros', () => {
  const bytes = filled(0xff, 3 * B);
  readFully(fd, bytes, B);
  expect(bytes.subarray(0, B)).toEqual(filled(8));
  expect(bytes.subarray(B).every((b) => b === 0)).toBe(true);
});

test('a verified write whose blocks all match writes every range and returns the hashes', () => {
  const bytes = Buffer.concat([filled(3), filled(0)]);
  const result = runTask({ kind: 'verifyWrite', fd, blockSize: B, expected: [sha(filled(3)), null], writes: [{ offset: 0, length: B, position: B }] }, bytes);
  expect(result).toEqual({ hashes: [sha(filled(3)), null] });
  expect(fs.readFileSync(path.join(dir, 'device'))).toEqual(Buffer.concat([filled(7), filled(3)]));
});

test('a verified write with one block off its expected hash writes nothing and names that block', () => {
  const bytes = Buffer.concat([filled(3), filled(4)]);
  const before = fs.readFileSync(path.join(dir, 'device'));
  const result = runTask(
    { kind: 'verifyWrite', fd, blockSize: B, expected: [sha(filled(3)), sha(filled(5))], writes: [{ offset: 0, length: 2 * B, position: 0 }] },
    bytes,
  );
  expect(result.mismatch).toBe(1);
  expect(fs.readFileSync(path.join(dir, 'device'))).toEqual(before);
});

test('a block with no expectation is a mismatch, never a pass', () => {
  expect(firstMismatch([sha(filled(1)), sha(filled(2))], [sha(filled(1))])).toBe(1);
  expect(firstMismatch([null], [null])).toBe(-1);
});
