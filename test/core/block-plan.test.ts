import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { buildFullPlan, buildIncrementalPlan, plannedBytes } from '../../runtime/core/sync/block-plan';
import { SyncFailed } from '../../runtime/core/errors';

const target = { sourceVolumeId: 'vol-1', snapshotId: 'snap-new', sizeBytes: 8 * BLOCK_SIZE };

describe('block plans', () => {
  it('full read: every allocated block, ascending, unique, inside the volume', () => {
    const plan = buildFullPlan(target, { blockSize: BLOCK_SIZE, indexes: [5, 1, 5, 0, 9] });
    expect(plan).toEqual({ ...target, baseSnapshotId: null, blocks: [0, 1, 5] });
    expect(plannedBytes(plan)).toBe(3 * BLOCK_SIZE);
  });

  it('incremental: changed blocks, and trimmed blocks (in base, gone from new) too', () => {
    const plan = buildIncrementalPlan(target, 'snap-base', {
      blockSize: BLOCK_SIZE,
      blocks: [
        { index: 2, inBase: true, inNew: true },
        { index: 3, inBase: false, inNew: true },
        { index: 6, inBase: true, inNew: false },
      ],
    });
    expect(plan.blocks).toEqual([2, 3, 6]);
    expect(plan.trimmed).toBe(1);
    expect(plan.baseSnapshotId).toBe('snap-base');
  });

  it('an unchanged volume plans nothing', () => {
    expect(buildIncrementalPlan(target, 'snap-base', { blockSize: BLOCK_SIZE, blocks: [] }).blocks).toEqual([]);
  });

  it('refuses a snapshot with another block size', () => {
    expect(() => buildFullPlan(target, { blockSize: 4096, indexes: [0] })).toThrow(SyncFailed);
  });
});
