/**
 * Which 512 KiB blocks a sync reads from a volume's new snapshot. No base: every allocated block.
 * With a base: every changed block, including blocks present in the base but absent from the new snapshot
 * (trimmed): the zSAT volume reads zeros there, so the manifest records them as ZERO_BLOCK.
 */
import { BLOCK_SIZE, type BlockPlan } from '../workers/agent-job';
import { SyncFailed } from '../errors';
import type { ChangedBlock } from '../ports';

export function blockCount(sizeBytes: number): number {
  return Math.ceil(sizeBytes / BLOCK_SIZE);
}

function checkBlockSize(blockSize: number, snapshotId: string): void {
  if (blockSize !== BLOCK_SIZE) {
    throw new SyncFailed(`snapshot ${snapshotId} reports ${blockSize}-byte blocks; Lifeboat reads ${BLOCK_SIZE}-byte blocks`);
  }
}

/** Ascending, unique, inside the volume. */
function normalise(indexes: Iterable<number>, sizeBytes: number): number[] {
  const limit = blockCount(sizeBytes);
  return [...new Set(indexes)].filter((i) => Number.isInteger(i) && i >= 0 && i < limit).sort((a, b) => a - b);
}

export interface PlanTarget {
  readonly sourceVolumeId: string;
  readonly snapshotId: string;
  readonly sizeBytes: number;
}

export function buildFullPlan(target: PlanTarget, listed: { blockSize: number; indexes: readonly number[] }): BlockPlan {
  checkBlockSize(listed.blockSize, target.snapshotId);
  return { ...target, baseSnapshotId: null, blocks: normalise(listed.indexes, target.sizeBytes) };
}

export function buildIncrementalPlan(
  target: PlanTarget,
  baseSnapshotId: string,
  changed: { blockSize: number; blocks: readonly ChangedBlock[] },
): BlockPlan & { readonly trimmed: number } {
  checkBlockSize(changed.blockSize, target.snapshotId);
  const trimmed = changed.blocks.filter((b) => !b.inNew).length;
  const blocks = normalise(
    changed.blocks.map((b) => b.index),
    target.sizeBytes,
  );
  return { ...target, baseSnapshotId, blocks, trimmed };
}

export function plannedBytes(plan: Pick<BlockPlan, 'blocks'>): number {
  return plan.blocks.length * BLOCK_SIZE;
}
