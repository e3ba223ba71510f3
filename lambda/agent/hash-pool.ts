/**
 * SHA-256 on every core: a worker_threads pool. A task's buffer is shared with the worker when it is a
 * SharedArrayBuffer (the agent's: nothing moves, and no new buffer object is made on either side, which
 * would otherwise cost the main thread a garbage collection for "external memory pressure" every few
 * tasks), or moves there and back by transfer when it is an ArrayBuffer. Either way, no copies.
 * Workers also do the I/O around the hashing (positional reads for the reader, verified positional writes
 * for the importer) with the process's own file descriptors: the bytes then cross no thread boundary but
 * the transfer, and the main thread only schedules.
 * The worker's code is inline (eval) so the agent stays one esbuild file and runs the same under tsx and jest.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Shared (SharedArrayBuffer) or transferred (ArrayBuffer) with the worker for the task's duration. */
export type PoolBuffer = ArrayBuffer | SharedArrayBuffer;

/** Per block of `blockSize` bytes in the buffer: its SHA-256 hex, or null when the block is all zeros. */
export interface HashedBlocks<B extends PoolBuffer = PoolBuffer> {
  /** The task's buffer (a transferred one comes back as a new ArrayBuffer object). */
  readonly buffer: B;
  readonly hashes: ReadonlyArray<string | null>;
}

/** One positional write of `length` bytes from `offset` in the task's buffer. */
export interface BufferWrite {
  readonly offset: number;
  readonly length: number;
  readonly position: number;
}

export interface VerifiedWrite<B extends PoolBuffer = PoolBuffer> extends HashedBlocks<B> {
  /** Index of the first block whose hash is not the expected one (nothing was written); absent when all matched. */
  readonly mismatch?: number;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { readSync, writeSync } = require('node:fs');
let zeros = Buffer.alloc(0);
function hashBlocks(bytes, blockSize) {
  if (zeros.length !== blockSize) zeros = Buffer.alloc(blockSize);
  const hashes = [];
  for (let off = 0; off < bytes.length; off += blockSize) {
    const block = bytes.subarray(off, Math.min(off + blockSize, bytes.length));
    const isZero = block.length === blockSize ? block.equals(zeros) : block.equals(zeros.subarray(0, block.length));
    hashes.push(isZero ? null : createHash('sha256').update(block).digest('hex'));
  }
  return hashes;
}
function readFully(fd, bytes, position) {
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  if (done < bytes.length) bytes.fill(0, done); // past the device's end: zeros
}
function writeFully(fd, bytes, position) {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
const run = {
  hash: (task, bytes) => ({ hashes: hashBlocks(bytes, task.blockSize) }),
  read: (task, bytes) => {
    readFully(task.fd, bytes, task.position);
    return { hashes: hashBlocks(bytes, task.blockSize) };
  },
  verifyWrite: (task, bytes) => {
    const hashes = hashBlocks(bytes, task.blockSize);
    const mismatch = hashes.findIndex((h, i) => h !== task.expected[i]);
    if (mismatch >= 0) return { hashes, mismatch };
    for (const w of task.writes) writeFully(task.fd, bytes.subarray(w.offset, w.offset + w.length), w.position);
    return { hashes };
  },
};
// A transferred buffer goes back with the reply; a shared one never moved.
function reply(message, buffer) {
  if (buffer instanceof SharedArrayBuffer) parentPort.postMessage(message);
  else parentPort.postMessage({ ...message, buffer }, [buffer]);
}
parentPort.on('message', (task) => {
  const { id, buffer, length } = task;
  try {
    const out = run[task.kind](task, Buffer.from(buffer, 0, length));
    reply({ id, ...out }, buffer);
  } catch (e) {
    reply({ id, error: String(e && e.message || e), code: e && e.code }, buffer);
  }
});
`;

type TaskBody =
  | { kind: 'hash' }
  | { kind: 'read'; fd: number; position: number }
  | { kind: 'verifyWrite'; fd: number; expected: ReadonlyArray<string | null>; writes: readonly BufferWrite[] };

type Task = TaskBody & {
  readonly id: number;
  readonly buffer: PoolBuffer;
  readonly length: number;
  readonly blockSize: number;
  resolve(result: VerifiedWrite): void;
  reject(error: Error): void;
};

interface WorkerReply {
  /** A transferred buffer, back; absent for a shared one. */
  buffer?: ArrayBuffer;
  hashes?: Array<string | null>;
  mismatch?: number;
  error?: string;
  code?: string;
}

export class HashPool {
  /** Tasks posted to each worker, oldest first (a worker answers in order). */
  private readonly inFlight = new Map<Worker, Task[]>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  /**
   * `depth` tasks are posted to each worker at once, so a worker that finishes one starts the next without
   * waiting for the main thread to answer its reply (measured: workers idled ~25% at depth 1).
   */
  constructor(
    readonly size = Math.max(1, availableParallelism()),
    private readonly depth = 2,
  ) {
    for (let i = 0; i < size; i++) this.inFlight.set(this.spawn(), []);
  }

  /**
   * Hash each `blockSize` block of the first `length` bytes (default: all). The caller must not touch the
   * buffer until the task settles; a transferred one comes back in the result (the original is detached).
   */
  hashBlocks<B extends PoolBuffer>(buffer: B, blockSize: number, length = buffer.byteLength): Promise<HashedBlocks<B>> {
    return this.submit({ kind: 'hash' }, buffer, length, blockSize) as Promise<HashedBlocks<B>>;
  }

  /** Read `length` bytes of `fd` at `position` into the buffer, then hash them as hashBlocks does. */
  readBlocks<B extends PoolBuffer>(fd: number, position: number, buffer: B, length: number, blockSize: number): Promise<HashedBlocks<B>> {
    return this.submit({ kind: 'read', fd, position }, buffer, length, blockSize) as Promise<HashedBlocks<B>>;
  }

  /**
   * Hash the blocks of the buffer; only when every one is the expected hash (null: all zeros) make the
   * writes to `fd`. A mismatch writes nothing and names the first bad block.
   */
  verifyAndWrite<B extends PoolBuffer>(
    fd: number,
    buffer: B,
    length: number,
    blockSize: number,
    expected: ReadonlyArray<string | null>,
    writes: readonly BufferWrite[],
  ): Promise<VerifiedWrite<B>> {
    return this.submit({ kind: 'verifyWrite', fd, expected, writes }, buffer, length, blockSize) as Promise<VerifiedWrite<B>>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('hash pool closed'));
    const workers = [...this.inFlight.keys()];
    this.inFlight.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private submit(body: TaskBody, buffer: PoolBuffer, length: number, blockSize: number): Promise<VerifiedWrite> {
    if (this.closed) return Promise.reject(new Error('hash pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ...body, id: this.nextId++, buffer, length, blockSize, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let target: Worker | undefined;
      let fewest = this.depth;
      for (const [worker, tasks] of this.inFlight) {
        if (tasks.length < fewest) [target, fewest] = [worker, tasks.length];
      }
      if (!target) return;
      const task = this.queue.shift()!;
      this.inFlight.get(target)!.push(task);
      const { resolve: _resolve, reject: _reject, ...message } = task;
      target.postMessage(message, task.buffer instanceof SharedArrayBuffer ? [] : [task.buffer]);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (msg: WorkerReply) => {
      const task = this.inFlight.get(worker)?.shift();
      if (task) {
        if (msg.error) task.reject(Object.assign(new Error(`${task.kind} task: ${msg.error}`), msg.code ? { code: msg.code } : {}));
        else task.resolve({ buffer: msg.buffer ?? task.buffer, hashes: msg.hashes!, ...(msg.mismatch !== undefined ? { mismatch: msg.mismatch } : {}) });
      }
      this.dispatch();
    });
    worker.on('error', (e) => {
      // A crashed worker loses its tasks (their buffers with it): fail them, replace the worker.
      const lost = this.inFlight.get(worker) ?? [];
      this.inFlight.delete(worker);
      for (const task of lost) task.reject(e);
      if (!this.closed) {
        this.inFlight.set(this.spawn(), []);
        this.dispatch();
      }
    });
    return worker;
  }
}
