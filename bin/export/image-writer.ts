/**
 * Disk images out of the replica store: a checkpoint's resolved block map becomes a raw sparse file or a
 * qcow2 image. Blocks come through the agent's verified reader (ranged GETs of a few blocks, bounded in
 * flight, each block checked against its SHA-256 before it is written). The image is written to a
 * temporary sibling and renamed into place only when complete: a failed export leaves no file behind.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../../runtime/core/workers/agent-job';
import { qcow2Layout } from '../../runtime/core/export/qcow2';
import { exportVolume, writeBlockMap, type ImporterStore } from '../../runtime/agent/importer';

export const IMAGE_FORMATS = ['raw', 'qcow2'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** A few blocks per ranged GET, a few GETs at once: memory stays near RANGE_BYTES × FETCHES_IN_FLIGHT. */
const RANGE_BYTES = 4 * BLOCK_SIZE;
const FETCHES_IN_FLIGHT = 8;

export interface WriteImageRequest {
  readonly store: ImporterStore;
  readonly vpg: string;
  /** Named in errors. */
  readonly checkpointId: string;
  readonly blockMap: ReadonlyMap<number, BlockRef>;
  readonly sizeBytes: number;
  readonly format: ImageFormat;
  readonly filePath: string;
  /** Called after each written block with the totals so far. */
  readonly onProgress?: (blocksDone: number, blocksTotal: number) => void;
}

export interface ImageStats {
  /** Data blocks written (zero and absent blocks are holes, not written). */
  readonly blocks: number;
  /** Bytes of block data written. */
  readonly bytesWritten: number;
  /** Size of the image file (apparent size; raw: the volume's size). */
  readonly fileSize: number;
}

/** Indexes of the blocks that hold data, ascending. */
export function dataBlockIndexes(blockMap: ReadonlyMap<number, BlockRef>): number[] {
  return [...blockMap]
    .filter(([, ref]) => ref !== ZERO_BLOCK)
    .map(([index]) => index)
    .sort((a, b) => a - b);
}

export async function writeImage(req: WriteImageRequest): Promise<ImageStats> {
  const total = dataBlockIndexes(req.blockMap).length;
  let done = 0;
  const common = {
    blockMap: req.blockMap,
    sizeBytes: req.sizeBytes,
    store: req.store,
    vpg: req.vpg,
    checkpointId: req.checkpointId,
    rangeBytes: RANGE_BYTES,
    fetchesInFlight: FETCHES_IN_FLIGHT,
    onProgress: (p: { blocks: number }) => {
      done += p.blocks;
      req.onProgress?.(done, total);
    },
  };
  const partial = join(dirname(req.filePath), `.${basename(req.filePath)}.partial-${process.pid}`);
  try {
    let stats: ImageStats;
    if (req.format === 'raw') {
      const s = await exportVolume({ ...common, filePath: partial });
      stats = { blocks: s.blocksWritten, bytesWritten: s.bytesWritten, fileSize: req.sizeBytes };
    } else {
      stats = await writeQcow2(partial, common);
    }
    await rename(partial, req.filePath);
    return stats;
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

type BlockWriteOptions = Parameters<typeof writeBlockMap>[1];

/**
 * One pass: the layout (header, L1, refcounts, L2 tables) first, then every data block at the cluster the
 * layout gave it. Clusters are 512 KiB, the store's block size, so a block is exactly one cluster.
 */
async function writeQcow2(filePath: string, options: BlockWriteOptions): Promise<ImageStats> {
  const layout = qcow2Layout(options.sizeBytes, dataBlockIndexes(options.blockMap));
  const handle = await open(filePath, 'w');
  try {
    await handle.write(layout.metadata, 0, layout.metadata.length, 0);
    await handle.truncate(layout.fileSize);
    const placeBlock = (index: number) => {
      const target = layout.dataOffsets.get(index);
      if (target === undefined) throw new Error(`qcow2 export: block ${index} has no data cluster in the layout`);
      return target;
    };
    const s = await writeBlockMap(handle, { ...options, blank: true, placeBlock });
    await handle.sync();
    return { blocks: s.blocksWritten, bytesWritten: s.bytesWritten, fileSize: layout.fileSize };
  } finally {
    await handle.close();
  }
}
