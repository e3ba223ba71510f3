/**
 * What a hash worker does with one task (hash-pool.ts posts them; hash-worker.ts serves them): SHA-256 per block
 * (null for a block of zeros), positional reads of a device, and verified writes: the blocks' hashes are compared
 * with the expected ones first, and only when every one matches is anything written. Runs in a worker thread,
 * but is plain functions so that the main thread's tests can call them.
 */
import { createHash } from 'node:crypto';
import { readSync, writeSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';

/** One positional write of `length` bytes from `offset` in the task's buffer. */
export interface BufferWrite {
  readonly offset: number;
  readonly length: number;
  readonly position: number;
}

export type TaskBody =
  | { readonly kind: 'hash' }
  | { readonly kind: 'read'; readonly fd: number; readonly position: number }
  | { readonly kind: 'verifyWrite'; readonly fd: number; readonly expected: ReadonlyArray<string | null>; readonly writes: readonly BufferWrite[] };

/** A task as it crosses to the worker: its body, the buffer (shared or transferred) and how to cut it. */
export type TaskMessage = TaskBody & {
  readonly id: number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly length: number;
  readonly blockSize: number;
};

export interface TaskResult {
  readonly hashes: Array<string | null>;
  /** verifyWrite: index of the first block whose hash is not the expected one (nothing was written). */
  readonly mismatch?: number;
}

export interface WorkerReply extends Partial<TaskResult> {
  readonly id: number;
  /** A transferred buffer, back; absent for a shared one. */
  readonly buffer?: ArrayBuffer;
  readonly error?: string;
  readonly code?: string;
}

let zeros = Buffer.alloc(0);

/** Per `blockSize` block of `bytes` (the last may be short): its SHA-256 hex, or null when it is all zeros. */
export function hashBlocks(bytes: Buffer, blockSize: number): Array<string | null> {
  if (zeros.length !== blockSize) zeros = Buffer.alloc(blockSize);
  const hashes: Array<string | null> = [];
  for (let off = 0; off < bytes.length; off += blockSize) {
    const block = bytes.subarray(off, Math.min(off + blockSize, bytes.length));
    const isZero = block.length === blockSize ? block.equals(zeros) : block.equals(zeros.subarray(0, block.length));
    hashes.push(isZero ? null : createHash('sha256').update(block).digest('hex'));
  }
  return hashes;
}

/** Fills `bytes` from `fd` at `position`; what lies past the device's end reads as zeros. */
export function readFully(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  if (done < bytes.length) bytes.fill(0, done);
}

export function writeFully(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** The first block whose hash is not the expected one, or -1 when all match (a missing expectation is a mismatch). */
export function firstMismatch(hashes: ReadonlyArray<string | null>, expected: ReadonlyArray<string | null>): number {
  return hashes.findIndex((h, i) => h !== expected[i]);
}

export function runTask(task: TaskBody & { readonly blockSize: number }, bytes: Buffer): TaskResult {
  switch (task.kind) {
    case 'hash':
      return { hashes: hashBlocks(bytes, task.blockSize) };
    case 'read':
      readFully(task.fd, bytes, task.position);
      return { hashes: hashBlocks(bytes, task.blockSize) };
    case 'verifyWrite': {
      const hashes = hashBlocks(bytes, task.blockSize);
      const mismatch = firstMismatch(hashes, task.expected);
      if (mismatch >= 0) return { hashes, mismatch };
      for (const w of task.writes) writeFully(task.fd, bytes.subarray(w.offset, w.offset + w.length), w.position);
      return { hashes };
    }
  }
}

/** The worker's loop: each task answered in order; a transferred buffer goes back with its reply, a shared one never moved. */
export function serveHashTasks(port: MessagePort): void {
  const reply = (message: WorkerReply, buffer: ArrayBuffer | SharedArrayBuffer) => {
    if (buffer instanceof SharedArrayBuffer) port.postMessage(message);
    else port.postMessage({ ...message, buffer }, [buffer]);
  };
  port.on('message', (task: TaskMessage) => {
    try {
      reply({ id: task.id, ...runTask(task, Buffer.from(task.buffer, 0, task.length)) }, task.buffer);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      reply({ id: task.id, error: String(err?.message ?? e), ...(err?.code ? { code: err.code } : {}) }, task.buffer);
    }
  });
}
