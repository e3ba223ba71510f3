/**
 * SHA-256 on every core: a worker_threads pool. Buffers move to a worker and back by transfer (no copies).
 * The worker's code is inline (eval) so the agent stays one esbuild file and runs the same under tsx and jest.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Per block of `blockSize` bytes in the buffer: its SHA-256 hex, or null when the block is all zeros. */
export interface HashedBlocks {
  readonly buffer: ArrayBuffer;
  readonly hashes: ReadonlyArray<string | null>;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let zeros = Buffer.alloc(0);
parentPort.on('message', (task) => {
  const { id, buffer, blockSize, length } = task;
  try {
    const bytes = Buffer.from(buffer, 0, length);
    if (zeros.length !== blockSize) zeros = Buffer.alloc(blockSize);
    const hashes = [];
    for (let off = 0; off < length; off += blockSize) {
      const block = bytes.subarray(off, Math.min(off + blockSize, length));
      const isZero = block.length === blockSize ? block.equals(zeros) : block.equals(zeros.subarray(0, block.length));
      hashes.push(isZero ? null : createHash('sha256').update(block).digest('hex'));
    }
    parentPort.postMessage({ id, buffer, hashes }, [buffer]);
  } catch (e) {
    parentPort.postMessage({ id, buffer, error: String(e && e.stack || e) }, [buffer]);
  }
});
`;

interface Task {
  readonly id: number;
  readonly buffer: ArrayBuffer;
  readonly length: number;
  readonly blockSize: number;
  resolve(result: HashedBlocks): void;
  reject(error: Error): void;
}

export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  /**
   * Hash each `blockSize` block of the first `length` bytes (default: all). The buffer is transferred:
   * the caller gets it back in the result and must not touch the original view meanwhile.
   */
  hashBlocks(buffer: ArrayBuffer, blockSize: number, length = buffer.byteLength): Promise<HashedBlocks> {
    return this.submit(buffer, length, blockSize);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('hash pool closed'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
    this.idle.length = 0;
  }

  private submit(buffer: ArrayBuffer, length: number, blockSize: number): Promise<HashedBlocks> {
    if (this.closed) return Promise.reject(new Error('hash pool closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, buffer, length, blockSize, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.busy.set(worker, task);
      const { id, buffer, length, blockSize } = task;
      worker.postMessage({ id, buffer, length, blockSize }, [buffer]);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (msg: { buffer: ArrayBuffer; hashes?: Array<string | null>; error?: string }) => {
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      if (!this.closed) this.idle.push(worker);
      if (task) {
        if (msg.error) task.reject(new Error(`hash worker: ${msg.error}`));
        else task.resolve({ buffer: msg.buffer, hashes: msg.hashes! });
      }
      this.dispatch();
    });
    worker.on('error', (e) => {
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      task?.reject(e);
      if (!this.closed) {
        this.idle.push(this.spawn());
        this.dispatch();
      }
    });
    return worker;
  }
}
