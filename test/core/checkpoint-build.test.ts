import { ZERO_BLOCK, type AgentResult, type BlockPlan } from '../../runtime/core/workers/agent-job';
import { verifyResultsCoverPlans, zeroBlocksGoneSinceParent } from '../../runtime/core/sync/checkpoint-build';
import { SyncFailed } from '../../runtime/core/errors';

const plan = (sourceVolumeId: string, blocks: number[]): BlockPlan => ({
  sourceVolumeId,
  snapshotId: 'snap',
  baseSnapshotId: null,
  sizeBytes: 1 << 30,
  blocks,
});
const result = (volumes: Array<[string, Record<string, string>]>): AgentResult => ({
  jobId: 'j',
  packs: [],
  volumes: volumes.map(([sourceVolumeId, blocks]) => ({ sourceVolumeId, blocks, blocksRead: Object.keys(blocks).length, bytesRead: 0, bytesStored: 0 })),
});

describe('verifyResultsCoverPlans', () => {
  it('passes when every planned block has an entry, and a plan with no blocks needs no result', () => {
    expect(() => verifyResultsCoverPlans([plan('vol-1', [0, 3]), plan('vol-2', [])], [result([['vol-1', { 0: 'aa', 3: ZERO_BLOCK }]])])).not.toThrow();
  });

  it('fails naming the volume and the missing blocks', () => {
    expect(() => verifyResultsCoverPlans([plan('vol-1', [0, 3, 7])], [result([['vol-1', { 0: 'aa' }]])])).toThrow(
      /vol-1: 2 planned blocks have no entry \(3, 7\)/,
    );
    expect(() => verifyResultsCoverPlans([plan('vol-2', [1])], [])).toThrow(SyncFailed);
  });
});

describe('zeroBlocksGoneSinceParent', () => {
  it('zeroes blocks the parent holds that a full re-read no longer lists', () => {
    const parent = new Map([
      [1, 'h1'],
      [2, 'h2'],
      [4, ZERO_BLOCK],
    ]);
    expect(zeroBlocksGoneSinceParent({ 1: 'n1', 9: 'n9' }, parent)).toEqual({ 1: 'n1', 2: ZERO_BLOCK, 9: 'n9' });
  });
});
