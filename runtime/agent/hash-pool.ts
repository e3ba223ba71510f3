/**
 * SHA-256 on every core: a worker_threads pool. A task's buffer is shared with the worker when it is a
 * SharedArrayBuffer (the agent's: nothing moves, and no new buffer object is made on either side, which
 * would otherwise cost the main thread a garbage collection for "external memory pressure" every few
 * tasks), or moves there and back by transfer when it is an ArrayBuffer. Either way, no copies.
 * Workers also do the I/O around the hashing (positional reads for the reader, verified positional writes
 * for the importer) with the process's own file descriptors: the bytes then cross no thread boundary but
 * the transfer, and the main thread only schedules.
 * What a worker does with a task is hash-work.ts.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BufferWrite, TaskBody, WorkerReply } from './hash-work';

export type { BufferWrite } from './hash-work';

/** Shared (SharedArrayBuffer) or transferred (ArrayBuffer) with the worker for the task's duration. */
export type PoolBuffer = ArrayBuffer | SharedArrayBuffer;

/** Per block of `blockSize` bytes in the buffer: its SHA-256 hex, or null when the block is all zeros. */
export interface HashedBlocks<B extends PoolBuffer = PoolBuffer> {
  /** The task's buffer (a transferred one comes back as a new ArrayBuffer object). */
  readonly buffer: B;
  readonly hashes: ReadonlyArray<string | null>;
}

export interface VerifiedWrite<B extends PoolBuffer = PoolBuffer> extends HashedBlocks<B> {
  /** Index of the first block whose hash is not the expected one (nothing was written); absent when all matched. */
  readonly mismatch?: number;
}

/**
 * The worker's code. The agent's bundle carries it as source (lib/agent-asset.ts bundles hash-worker.ts and
 * defines LIFEBOAT_HASH_WORKER_SOURCE), so the agent stays one file; from TypeScript sources (tests, the CLI,
 * the bench) the worker runs hash-worker.ts through tsx.
 */
declare const LIFEBOAT_HASH_WORKER_SOURCE: string | undefined;

function startWorker(): Worker {
  if (typeof LIFEBOAT_HASH_WORKER_SOURCE === 'string') return new Worker(LIFEBOAT_HASH_WORKER_SOURCE, { eval: true });
  return new Worker(path.join(__dirname, 'hash-worker.ts'), { execArgv: ['--require', require.resolve('tsx/cjs')] });
}

type Task = TaskBody & {
  readonly id: number;
  readonly buffer: PoolBuffer;
  readonly length: number;
  readonly blockSize: number;
  resolve(result: VerifiedWrite): void;
  reject(error: Error): void;
};

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
      // the worker gets the task's data; its promise callbacks stay here
      // eslint-disable-next-line @typescript-eslint/unbound-method -- taken out only to leave them behind, never called
      const { resolve: _resolve, reject: _reject, ...message } = task;
      target.postMessage(message, task.buffer instanceof SharedArrayBuffer ? [] : [task.buffer]);
    }
  }

  private spawn(): Worker {
    const worker = startWorker();
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
