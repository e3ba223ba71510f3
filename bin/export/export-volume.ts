/**
 * `lifeboat export` without the command line: pick the checkpoint, find the volume in it, resolve its block
 * map through the chain, write the image, and measure. Usage problems (no such checkpoint or volume) are
 * UsageErrors whose message lists what exists.
 */
import type { CheckpointSummary } from '../../runtime/core/store/port';
import { CheckpointNotFound, resolveCheckpoint } from '../../runtime/core/failback/checkpoint-select';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { UsageError } from '../commands/context';
import { dataBlockIndexes, writeImage, type ImageFormat, type ImageStats } from './image-writer';

export type ExportStore = Pick<S3ReplicaStore, 'listCheckpoints' | 'resolveVolume' | 'knownHashes' | 'getRangeInto'>;

export interface ExportRequest {
  readonly store: ExportStore;
  readonly vpg: string;
  readonly sourceVolumeId: string;
  /** 'latest', a checkpoint id, or an ISO time. */
  readonly checkpoint: string;
  readonly format: ImageFormat;
  readonly output: string;
  /** Told the checkpoint and volume once they are known, then the blocks written so far. */
  readonly onStart?: (checkpointId: string, volume: CheckpointSummary['volumes'][number], blocksTotal: number) => void;
  readonly onProgress?: (blocksDone: number, blocksTotal: number) => void;
  /** Monotonic milliseconds, for the throughput figure. */
  readonly clock?: () => number;
  /**
   * The export as a reader of the store (runtime/core/store/checkpoint-readers.ts): checkpoints a journal compaction is
   * dropping right now are not chosen, and `chosen` records the one that is, before any block is read.
   */
  readonly reading?: { readonly dropping: ReadonlySet<string>; readonly chosen: (checkpointId: string) => Promise<void> };
}

export interface ExportResult extends ImageStats {
  readonly checkpointId: string;
  readonly sourceVolumeId: string;
  readonly sizeBytes: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
}

export function describeVolumes(checkpoint: CheckpointSummary): string {
  if (checkpoint.volumes.length === 0) return '(none)';
  return checkpoint.volumes
    .map((v) => `${v.sourceVolumeId} (instance ${v.sourceInstanceId} ${v.device}, ${(v.sizeBytes / 1024 ** 3).toFixed(v.sizeBytes % 1024 ** 3 ? 2 : 0)} GiB)`)
    .join(', ');
}

export async function exportCheckpointVolume(req: ExportRequest): Promise<ExportResult> {
  const clock = req.clock ?? (() => performance.now());
  const checkpoints = (await req.store.listCheckpoints(req.vpg)).filter((c) => !req.reading?.dropping.has(c.id));
  if (req.reading?.dropping.has(req.checkpoint)) {
    throw new UsageError(
      `VPG ${req.vpg}: checkpoint ${req.checkpoint} is past the journal and being removed by journal compaction right now; choose a newer one`,
    );
  }
  let checkpoint: CheckpointSummary;
  try {
    checkpoint = resolveCheckpoint(checkpoints, req.checkpoint);
  } catch (err) {
    if (err instanceof CheckpointNotFound) throw new UsageError(`VPG ${req.vpg}: ${err.message}`);
    throw err;
  }
  const volume = checkpoint.volumes.find((v) => v.sourceVolumeId === req.sourceVolumeId);
  if (!volume) {
    throw new UsageError(`volume ${req.sourceVolumeId} is not in checkpoint ${checkpoint.id} of VPG ${req.vpg}; its volumes: ${describeVolumes(checkpoint)}`);
  }
  await req.reading?.chosen(checkpoint.id);
  const blockMap = await req.store.resolveVolume(req.vpg, checkpoint.id, volume.sourceVolumeId);
  req.onStart?.(checkpoint.id, volume, dataBlockIndexes(blockMap).length);
  const started = clock();
  const stats = await writeImage({
    store: req.store,
    vpg: req.vpg,
    checkpointId: checkpoint.id,
    blockMap,
    sizeBytes: volume.sizeBytes,
    format: req.format,
    filePath: req.output,
    onProgress: req.onProgress,
  });
  const seconds = Math.max((clock() - started) / 1000, 1e-6);
  return {
    ...stats,
    checkpointId: checkpoint.id,
    sourceVolumeId: volume.sourceVolumeId,
    sizeBytes: volume.sizeBytes,
    seconds,
    mibPerSecond: stats.bytesWritten / 1024 / 1024 / seconds,
  };
}

export function summaryLine(r: ExportResult, format: ImageFormat, output: string): string {
  return (
    `exported ${r.sourceVolumeId} of checkpoint ${r.checkpointId} to ${output} (${format}, ${r.fileSize} bytes): ` +
    `${r.bytesWritten} bytes written, ${r.blocks} blocks, ${r.mibPerSecond.toFixed(1)} MiB/s`
  );
}
