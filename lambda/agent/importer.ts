/**
 * The ZImporter writer (and the raw image exporter): write a checkpoint's block map onto a device or file.
 * Stored blocks come by ranged GETs grouped by pack (bounded in flight), each verified against its SHA-256
 * before it is written; zeros are written only where the target could hold data.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../core/agent-job';
import { planRangeReads, type BlockLocation } from '../core/pack-index';
import { blockCount } from '../core/replica-format';
import { CorruptBlock, MissingBlock } from '../aws/s3-errors';
import { forEachBounded } from '../aws/s3-replica-store';
import { HashPool } from './hash-pool';
import { planRuns } from './reader';

export interface ImporterStore {
  knownHashes(vpg: string): Promise<Map<string, BlockLocation>>;
  getRange(key: string, offset: number, length: number): Promise<Buffer | null>;
}

export interface WriteProgress {
  blocks: number;
  bytesWritten: number;
}

export interface ImportOptions {
  readonly blockMap: ReadonlyMap<number, BlockRef>;
  readonly sizeBytes: number;
  readonly store: ImporterStore;
  readonly vpg: string;
  /** The target is all zeros already (a new volume, a new sparse file): zero and absent blocks need no write. */
  readonly blank?: boolean;
  /** Named in errors. */
  readonly checkpointId?: string;
  readonly pool?: HashPool;
  readonly locations?: ReadonlyMap<string, BlockLocation>;
  readonly rangeBytes?: number;
  readonly fetchesInFlight?: number;
  readonly onProgress?: (p: WriteProgress) => void;
}

export interface ImportStats {
  readonly blocksWritten: number;
  readonly bytesWritten: number;
}

/** Write onto an existing device (or file) at devicePath, then fsync. */
export async function importVolume(options: ImportOptions & { devicePath: string }): Promise<ImportStats> {
  const handle = await open(options.devicePath, 'r+');
  try {
    const stats = await writeBlockMap(handle, options);
    await handle.sync();
    return stats;
  } finally {
    await handle.close();
  }
}

/** A raw disk image: a new sparse file of sizeBytes where zero blocks stay holes. */
export async function exportVolume(options: Omit<ImportOptions, 'blank'> & { filePath: string }): Promise<ImportStats> {
  const handle = await open(options.filePath, 'w');
  try {
    await handle.truncate(options.sizeBytes);
    const stats = await writeBlockMap(handle, { ...options, blank: true });
    await handle.sync();
    return stats;
  } finally {
    await handle.close();
  }
}

export async function writeBlockMap(handle: FileHandle, options: ImportOptions): Promise<ImportStats> {
  const { blockMap, sizeBytes, vpg, store } = options;
  const blank = options.blank ?? true;
  const where = (index: number) => `block ${index}${options.checkpointId ? ` of checkpoint ${options.checkpointId}` : ''}`;
  const limit = blockCount(sizeBytes);
  const indexesByHash = new Map<string, number[]>();
  for (const [index, ref] of blockMap) {
    if (index >= limit) throw new Error(`${where(index)} is beyond the target's ${limit} blocks`);
    if (ref === ZERO_BLOCK) continue;
    const list = indexesByHash.get(ref) ?? [];
    list.push(index);
    indexesByHash.set(ref, list);
  }
  const locations = options.locations ?? (await store.knownHashes(vpg));
  const { reads, missing } = planRangeReads(indexesByHash.keys(), locations, options.rangeBytes ?? 8 * 1024 * 1024);
  if (missing.length > 0) throw new MissingBlock(missing[0], null, `${where(indexesByHash.get(missing[0])![0])}, VPG ${vpg}; ${missing.length} block(s) missing`);

  const pool = options.pool ?? new HashPool();
  let blocksWritten = 0, bytesWritten = 0;
  const writeAt = async (bytes: Uint8Array, index: number) => {
    const position = index * BLOCK_SIZE;
    const length = Math.min(bytes.length, sizeBytes - position);
    await handle.write(bytes, 0, length, position);
    blocksWritten++;
    bytesWritten += length;
    options.onProgress?.({ blocks: 1, bytesWritten: length });
  };
  try {
    await forEachBounded(reads, options.fetchesInFlight ?? 4, async (read) => {
      const first = read.blocks[0];
      const got = await store.getRange(read.packKey, read.offset, read.length);
      if (!got || got.length !== read.length) throw new MissingBlock(first.hash, read.packKey, `${where(indexesByHash.get(first.hash)![0])}, VPG ${vpg}`);
      if (read.blocks.some((b) => b.length !== BLOCK_SIZE)) throw new Error(`pack ${read.packKey} lists a block that is not ${BLOCK_SIZE} bytes`);
      const hashed = await pool.hashBlocks(transferable(got), BLOCK_SIZE, read.length);
      const bytes = new Uint8Array(hashed.buffer, 0, read.length);
      for (let i = 0; i < read.blocks.length; i++) {
        const block = read.blocks[i];
        // The pool reports an all-zero block as null; stored blocks are never all zeros.
        const actual = hashed.hashes[i] ?? 'an all-zero block';
        const indexes = indexesByHash.get(block.hash)!;
        if (actual !== block.hash) throw new CorruptBlock(block.hash, read.packKey, actual, `${where(indexes[0])}, VPG ${vpg}`);
        const view = bytes.subarray(block.offsetInRange, block.offsetInRange + block.length);
        for (const index of indexes) await writeAt(view, index);
      }
    });
    if (!blank) {
      const zeros = Buffer.alloc(8 * 1024 * 1024);
      const zeroIndexes: number[] = [];
      for (let index = 0; index < limit; index++) {
        const ref = blockMap.get(index);
        if (ref === undefined || ref === ZERO_BLOCK) zeroIndexes.push(index);
      }
      for (const run of planRuns(zeroIndexes, zeros.length / BLOCK_SIZE)) {
        const position = run.first * BLOCK_SIZE;
        const length = Math.min(run.count * BLOCK_SIZE, sizeBytes - position);
        await handle.write(zeros, 0, length, position);
        blocksWritten += run.count;
        bytesWritten += length;
        options.onProgress?.({ blocks: run.count, bytesWritten: length });
      }
    }
  } finally {
    if (!options.pool) await pool.close();
  }
  return { blocksWritten, bytesWritten };
}

/** An ArrayBuffer holding exactly these bytes that may be transferred to a hash worker: the body's own when it owns a whole one (no copy), else a copy. */
function transferable(bytes: Buffer): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own.buffer as ArrayBuffer;
}
