/**
 * The ZImporter writer (and the raw image exporter): write a checkpoint's block map onto a device or file.
 * Stored blocks come by ranged GETs grouped by pack (bounded in flight), read straight into a reused buffer;
 * a hash worker verifies every block of the range against its SHA-256 and only then writes them (writes
 * to neighbouring places merged). Zeros are written only where the target could hold data.
 * Targets that take it are written with direct I/O, from page-aligned buffers (see write-target.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../core/workers/agent-job';
import { planRangeReads, type BlockLocation, type RangeRead } from '../core/store/pack-index';
import { blockCount } from '../core/store/format';
import { CorruptBlock, MissingBlock } from '../aws/s3-errors';
import { forEachBounded } from '../aws/s3-replica-store';
import { HashPool, type BufferWrite } from './hash-pool';
import { agentBuffers } from './shared-buffers';
import { planRuns } from './reader';
import { DIRECT_ALIGN, openWriteTarget, syncUnlessSpecial } from './write-target';

export interface ImporterStore {
  knownHashes(vpg: string): Promise<Map<string, BlockLocation>>;
  /** Fill `target` from `offset` of the object; the byte count read (short at the object's end), null when it does not exist. */
  getRangeInto(key: string, offset: number, target: Uint8Array): Promise<number | null>;
  /** Why a block is in no usable index (a disabled pack), to name in the MissingBlock error. */
  explainMissing?(vpg: string, hash: string): string | undefined;
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
  /** Where block `index` goes in the target (default index × BLOCK_SIZE; a qcow2 image maps it to its data cluster). */
  readonly placeBlock?: (index: number) => number;
  readonly onProgress?: (p: WriteProgress) => void;
}

export interface ImportStats {
  readonly blocksWritten: number;
  readonly bytesWritten: number;
  /** Written with direct I/O (O_DIRECT): not through the page cache, except where the filesystem fakes it (tmpfs). */
  readonly directIo: boolean;
}

export interface ImportTarget {
  readonly devicePath: string;
  /** Write with O_DIRECT where the target takes it (default); false: through the page cache. */
  readonly directIo?: boolean;
}

/** Write onto an existing device (or file) at devicePath, then fsync. */
export async function importVolume(options: ImportOptions & ImportTarget): Promise<ImportStats> {
  const { handle, directIo } = await openWriteTarget(options.devicePath, { create: false, sizeBytes: options.sizeBytes, direct: wantsDirectIo(options) });
  try {
    const stats = await writeBlockMap(handle, options);
    await syncUnlessSpecial(handle);
    return { ...stats, directIo };
  } finally {
    await handle.close();
  }
}

/** A raw disk image: a new sparse file of sizeBytes where zero blocks stay holes. */
export async function exportVolume(options: Omit<ImportOptions, 'blank'> & { filePath: string; directIo?: boolean }): Promise<ImportStats> {
  const { handle, directIo } = await openWriteTarget(options.filePath, { create: true, sizeBytes: options.sizeBytes, direct: wantsDirectIo(options) });
  try {
    const stats = await writeBlockMap(handle, { ...options, blank: true });
    await handle.sync();
    return { ...stats, directIo };
  } finally {
    await handle.close();
  }
}

/** Asked for (the default), and every write of the block map lands on whole 4 KiB units at default places (qcow2's do not). */
function wantsDirectIo(options: ImportOptions & { directIo?: boolean }): boolean {
  return options.directIo !== false && options.sizeBytes % DIRECT_ALIGN === 0 && options.placeBlock === undefined && BLOCK_SIZE % DIRECT_ALIGN === 0;
}

/** What writing a block map takes: where each stored block goes, and the ranged GETs that fetch them. */
export interface BlockMapPlan {
  readonly indexesByHash: ReadonlyMap<string, readonly number[]>;
  readonly reads: readonly RangeRead[];
}

/**
 * Check a block map against its target and the store's indexes, before anything is written: every index inside
 * the target, every stored block in a usable pack, every pack entry a whole block on a block boundary.
 */
export function planBlockMapWrite(
  options: Pick<ImportOptions, 'blockMap' | 'sizeBytes' | 'vpg' | 'checkpointId' | 'rangeBytes'> & { readonly store?: Pick<ImporterStore, 'explainMissing'> },
  locations: ReadonlyMap<string, BlockLocation>,
): BlockMapPlan {
  const { blockMap, sizeBytes, vpg } = options;
  const limit = blockCount(sizeBytes);
  const indexesByHash = new Map<string, number[]>();
  for (const [index, ref] of blockMap) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= limit)
      throw new Error(`${whereIs(index, options.checkpointId)} is beyond the target's ${limit} blocks`);
    if (ref === ZERO_BLOCK) continue;
    const list = indexesByHash.get(ref) ?? [];
    list.push(index);
    indexesByHash.set(ref, list);
  }
  const { reads, missing } = planRangeReads(indexesByHash.keys(), locations, options.rangeBytes ?? DEFAULT_RANGE_BYTES);
  if (missing.length > 0) {
    const why = options.store?.explainMissing?.(vpg, missing[0]);
    throw new MissingBlock(
      missing[0],
      null,
      `${whereIs(indexesByHash.get(missing[0])![0], options.checkpointId)}, VPG ${vpg}; ${missing.length} block(s) missing${why ? `; ${why}` : ''}`,
    );
  }
  // A pack is whole blocks back to back (docs/store-format.md), so each starts on a block boundary, as
  // direct I/O needs; an index that says otherwise is damaged, and nothing is written.
  for (const read of reads) {
    for (const b of read.blocks) {
      const offset = read.offset + b.offsetInRange;
      if (b.length !== BLOCK_SIZE || offset % BLOCK_SIZE !== 0) {
        throw new Error(
          `pack ${read.packKey} lists block ${b.hash} at offset ${offset}, length ${b.length}: not a whole ${BLOCK_SIZE}-byte block on a block boundary, so its index is damaged`,
        );
      }
    }
  }
  return { indexesByHash, reads };
}

const DEFAULT_RANGE_BYTES = 8 * 1024 * 1024;
const whereIs = (index: number, checkpointId?: string) => `block ${index}${checkpointId ? ` of checkpoint ${checkpointId}` : ''}`;

export async function writeBlockMap(handle: FileHandle, options: ImportOptions): Promise<Omit<ImportStats, 'directIo'>> {
  const { blockMap, sizeBytes, vpg, store } = options;
  const blank = options.blank ?? true;
  const where = (index: number) => whereIs(index, options.checkpointId);
  const placeOf = options.placeBlock ?? ((index: number) => index * BLOCK_SIZE);
  const limit = blockCount(sizeBytes);
  const locations = options.locations ?? (await store.knownHashes(vpg));
  const rangeBytes = options.rangeBytes ?? DEFAULT_RANGE_BYTES;
  const { indexesByHash, reads } = planBlockMapWrite(options, locations);
  const pool = options.pool ?? new HashPool();
  let blocksWritten = 0,
    bytesWritten = 0;
  try {
    await forEachBounded(reads, options.fetchesInFlight ?? 6, async (read) => {
      const first = read.blocks[0];
      // Shared with the hash worker, not transferred (see HashPool); the process's pool reuses it for the next range.
      const buffer = agentBuffers.takeAligned(Math.max(rangeBytes, read.length));
      const got = await store.getRangeInto(read.packKey, read.offset, new Uint8Array(buffer, 0, read.length));
      if (got !== read.length) throw new MissingBlock(first.hash, read.packKey, `${where(indexesByHash.get(first.hash)![0])}, VPG ${vpg}`);
      // Each block lands at every index that holds it; the worker writes only once all of them verified.
      const writes = coalesce(
        read.blocks.flatMap((b) =>
          indexesByHash
            .get(b.hash)!
            .map((index) => ({ offset: b.offsetInRange, length: Math.min(b.length, sizeBytes - index * BLOCK_SIZE), position: placeOf(index) })),
        ),
      );
      const expected = read.blocks.map((b) => b.hash);
      const result = await pool.verifyAndWrite(handle.fd, buffer, read.length, BLOCK_SIZE, expected, writes);
      agentBuffers.give(buffer);
      if (result.mismatch !== undefined) {
        const bad = read.blocks[result.mismatch];
        // The pool reports an all-zero block as null; stored blocks are never all zeros.
        const actual = result.hashes[result.mismatch] ?? 'an all-zero block';
        throw new CorruptBlock(bad.hash, read.packKey, actual, `${where(indexesByHash.get(bad.hash)![0])}, VPG ${vpg}`);
      }
      const bytes = writes.reduce((n, w) => n + w.length, 0);
      const blocks = read.blocks.reduce((n, b) => n + indexesByHash.get(b.hash)!.length, 0);
      blocksWritten += blocks;
      bytesWritten += bytes;
      options.onProgress?.({ blocks, bytesWritten: bytes });
    });
    if (!blank) {
      const zerosBuffer = agentBuffers.takeAligned(8 * 1024 * 1024);
      const zeros = new Uint8Array(zerosBuffer).fill(0); // a reused buffer still holds its last range
      const zeroIndexes: number[] = [];
      for (let index = 0; index < limit; index++) {
        const ref = blockMap.get(index);
        if (ref === undefined || ref === ZERO_BLOCK) zeroIndexes.push(index);
      }
      for (const run of planRuns(zeroIndexes, zeros.length / BLOCK_SIZE)) {
        const position = run.first * BLOCK_SIZE;
        const length = Math.min(run.count * BLOCK_SIZE, sizeBytes - position);
        await handle.write(zeros, 0, length, position); // non-blank targets are devices: block i is at i × BLOCK_SIZE
        blocksWritten += run.count;
        bytesWritten += length;
        options.onProgress?.({ blocks: run.count, bytesWritten: length });
      }
      agentBuffers.give(zerosBuffer);
    }
  } finally {
    if (!options.pool) await pool.close();
  }
  return { blocksWritten, bytesWritten };
}

/** Writes sorted by target position, neighbours (adjacent in the buffer and on the target) merged into one. */
export function coalesce(writes: readonly BufferWrite[]): BufferWrite[] {
  const sorted = [...writes].sort((a, b) => a.position - b.position);
  const out: BufferWrite[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && last.position + last.length === w.position && last.offset + last.length === w.offset) {
      out[out.length - 1] = { ...last, length: last.length + w.length };
    } else {
      out.push(w);
    }
  }
  return out;
}
