/**
 * The zSAT reader: read exactly the planned blocks of a device, hash them on every core, store each new
 * block once (dedup against the store and this job), zero blocks never. Reads, hashing and uploads overlap
 * through bounded queues, so memory is ~ (readAhead × runBytes) + (uploadsInFlight + 1) × (packBytes + runBytes)
 * (defaults: 8 × 4 MiB + 5 × 36 MiB ≈ 212 MiB), whatever the volume size: packs hold views of the run
 * buffers they were read into, never copies.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, ZERO_BLOCK, type BlockPlan, type BlockRef, type VolumeReadResult } from '../core/workers/agent-job';
import { PACK_TARGET_BYTES } from '../core/store/format';
import type { BlockLocation } from '../core/store/pack-index';
import { HashPool, type HashedBlocks } from './hash-pool';
import { PackWriter, type BufferHold, type PackSink } from './pack-writer';
import { agentBuffers } from './shared-buffers';

export interface ReaderStore extends PackSink {
  knownHashes(vpg: string): Promise<Map<string, BlockLocation>>;
}

export interface ReadTuning {
  /** Flush a pack at this size. */
  readonly packBytes?: number;
  readonly uploadsInFlight?: number;
  /** Largest single sequential read (contiguous planned blocks are coalesced up to this). */
  readonly runBytes?: number;
  /** Runs being read or hashed at once. */
  readonly readAhead?: number;
}

export interface BlockRun {
  readonly first: number;
  readonly count: number;
}

/** Contiguous ascending block indexes merged into runs of at most maxBlocks. */
export function planRuns(blocks: readonly number[], maxBlocks: number): BlockRun[] {
  const runs: BlockRun[] = [];
  let first = -1,
    count = 0;
  for (const index of blocks) {
    if (count > 0 && index === first + count && count < maxBlocks) {
      count++;
      continue;
    }
    if (count > 0) runs.push({ first, count });
    first = index;
    count = 1;
  }
  if (count > 0) runs.push({ first, count });
  return runs;
}

export interface ReadProgress {
  blocks: number;
  bytesRead: number;
  bytesStored: number;
}

/** One job's reading: a pack writer and a set of written hashes shared by all its volumes. */
export class ReadSession {
  private readonly written = new Set<string>();
  private readonly buffers: RunBuffers;
  private readonly writer: PackWriter;
  private readonly ownsPool: boolean;

  private constructor(
    private readonly pool: HashPool,
    private readonly known: ReadonlyMap<string, unknown>,
    vpg: string,
    store: ReaderStore,
    private readonly tuning: Required<ReadTuning>,
    ownsPool: boolean,
  ) {
    this.ownsPool = ownsPool;
    this.buffers = new RunBuffers(Math.max(1, Math.floor(tuning.runBytes / BLOCK_SIZE)) * BLOCK_SIZE);
    this.writer = new PackWriter({ store, vpg, packBytes: tuning.packBytes, uploadsInFlight: tuning.uploadsInFlight });
  }

  static async open(options: { store: ReaderStore; vpg: string; pool?: HashPool } & ReadTuning): Promise<ReadSession> {
    const known = await options.store.knownHashes(options.vpg);
    const tuning: Required<ReadTuning> = {
      packBytes: options.packBytes ?? PACK_TARGET_BYTES,
      uploadsInFlight: options.uploadsInFlight ?? 4,
      // 4 MiB × 8 measured best on 2 cores (more, smaller tasks keep every hash worker busy).
      runBytes: options.runBytes ?? 4 * 1024 * 1024,
      readAhead: options.readAhead ?? 8,
    };
    if (tuning.packBytes < BLOCK_SIZE) throw new Error(`packBytes must be at least one block (${BLOCK_SIZE})`);
    return new ReadSession(options.pool ?? new HashPool(), known, options.vpg, options.store, tuning, !options.pool);
  }

  async readVolume(devicePath: string, plan: BlockPlan, onProgress?: (p: ReadProgress) => void): Promise<VolumeReadResult> {
    const handle = await open(devicePath, 'r');
    try {
      return await this.readFrom(handle, plan, onProgress);
    } finally {
      await handle.close();
    }
  }

  /** Upload the last pack, wait for every upload; returns the packs this session wrote. */
  async finish(): Promise<string[]> {
    try {
      return await this.writer.finish();
    } finally {
      if (this.ownsPool) await this.pool.close();
    }
  }

  /** Stop without uploading more (after a failure); returns once started uploads have settled. */
  async abort(): Promise<void> {
    await this.writer.settle();
    if (this.ownsPool) await this.pool.close();
  }

  private async readFrom(handle: FileHandle, plan: BlockPlan, onProgress?: (p: ReadProgress) => void): Promise<VolumeReadResult> {
    const runs = planRuns(plan.blocks, this.buffers.bytes / BLOCK_SIZE);
    const blocks: Record<string, BlockRef> = {};
    let blocksRead = 0,
      bytesRead = 0,
      bytesStored = 0;

    // The worker reads and hashes in one task: the bytes go from the page cache to the worker's hash.
    const readAndHash = (run: BlockRun) => this.pool.readBlocks(handle.fd, run.first * BLOCK_SIZE, this.buffers.take(), run.count * BLOCK_SIZE, BLOCK_SIZE);
    const consume = async (run: BlockRun, hashed: HashedBlocks<SharedArrayBuffer>) => {
      // Packs keep views of this buffer (no copy); it is reused once the last of them is uploaded.
      const hold = this.buffers.hold(hashed.buffer);
      let stored = 0;
      try {
        for (let i = 0; i < run.count; i++) {
          const hash = hashed.hashes[i];
          const index = run.first + i;
          if (hash === null) {
            blocks[index] = ZERO_BLOCK;
            continue;
          }
          blocks[index] = hash;
          if (this.known.has(hash) || this.written.has(hash)) continue;
          this.written.add(hash);
          await this.writer.add(hash, new Uint8Array(hashed.buffer, i * BLOCK_SIZE, BLOCK_SIZE), hold);
          stored += BLOCK_SIZE;
        }
      } finally {
        hold.release();
      }
      blocksRead += run.count;
      bytesRead += run.count * BLOCK_SIZE;
      bytesStored += stored;
      onProgress?.({ blocks: run.count, bytesRead: run.count * BLOCK_SIZE, bytesStored: stored });
    };

    // Ordered pipeline: up to readAhead runs read and hashed ahead of the one being packed.
    const pending: Array<{ run: BlockRun; result: ReturnType<typeof readAndHash> }> = [];
    const take = async () => {
      const { run, result } = pending.shift()!;
      await consume(run, await result);
    };
    try {
      for (const run of runs) {
        const result = readAndHash(run);
        result.catch(() => {}); // awaited in order below; this only silences the early-rejection warning
        pending.push({ run, result });
        if (pending.length >= this.tuning.readAhead) await take();
      }
      while (pending.length > 0) await take();
    } finally {
      await Promise.allSettled(pending.map((p) => p.result));
    }
    return { sourceVolumeId: plan.sourceVolumeId, blocks, blocksRead, bytesRead, bytesStored };
  }
}

/**
 * Run buffers, shared between the reader and the packs holding views of them. A buffer goes back to the
 * process's pool (shared-buffers.ts) only when its last holder releases it, so a view in a pack never sees
 * the next run's bytes. They are SharedArrayBuffers: the hash workers read into them in place.
 */
class RunBuffers {
  constructor(readonly bytes: number) {}

  take(): SharedArrayBuffer {
    return agentBuffers.take(this.bytes);
  }

  /** A hold on `buffer` with one holder (the caller); more holders retain it. */
  hold(buffer: SharedArrayBuffer): BufferHold {
    let holders = 1;
    return {
      retain: () => {
        if (holders <= 0) throw new Error('run buffer retained after its release');
        holders++;
      },
      release: () => {
        if (--holders < 0) throw new Error('run buffer released more often than held');
        if (holders === 0) agentBuffers.give(buffer);
      },
    };
  }
}

/** One volume, its own session: for benchmarks and tests. */
export async function readVolumeBlocks(
  options: { devicePath: string; plan: BlockPlan; store: ReaderStore; vpg: string; pool?: HashPool; onProgress?: (p: ReadProgress) => void } & ReadTuning,
): Promise<VolumeReadResult & { packs: string[] }> {
  const session = await ReadSession.open(options);
  try {
    const result = await session.readVolume(options.devicePath, options.plan, options.onProgress);
    return { ...result, packs: await session.finish() };
  } catch (e) {
    await session.abort();
    throw e;
  }
}
