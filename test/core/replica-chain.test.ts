import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../../runtime/core/workers/agent-job';
import type { CheckpointManifest, CheckpointVolume } from '../../runtime/core/store/port';
import { blockMapToRecord, chainIds, resolveBlockMap } from '../../runtime/core/store/chain';
import { planCompaction } from '../../runtime/core/store/compaction';
import type { PackIndex } from '../../runtime/core/store/pack-index';

const H = (n: number) => n.toString(16).padStart(64, '0');
const P = (n: number) => n.toString(16).padStart(64, 'f');

function vol(id: string, blocks: Record<number, BlockRef>, sizeBlocks = 16): CheckpointVolume {
  return {
    sourceVolumeId: id,
    sourceInstanceId: 'i-1',
    device: '/dev/xvda',
    sizeBytes: sizeBlocks * BLOCK_SIZE,
    snapshotId: 'snap',
    blocksChanged: Object.keys(blocks).length,
    blocksRead: 0,
    bytesStored: 0,
    blocks,
  };
}
function cp(id: string, hour: number, parentId: string | null, volumes: CheckpointVolume[]): CheckpointManifest {
  return {
    format: 1,
    id,
    vpg: 'web',
    syncId: id,
    createdAt: `2026-11-25T${String(hour).padStart(2, '0')}:00:00.000Z`,
    parentId,
    full: parentId === null,
    volumes,
  };
}
const asObject = (m: Map<number, BlockRef>) => Object.fromEntries([...m].sort(([a], [b]) => a - b));

// cp1 full: a = {0:h1, 1:h2, 2:h3}
// cp2 delta: a overwrites 1, zeroes 2, adds 5; volume b appears (read whole)
// cp3 delta: a overwrites 0 with the old content of block 1 (h2), re-fills 2; b changes 1
const cp1 = cp('cp-1', 1, null, [vol('vol-a', { 0: H(1), 1: H(2), 2: H(3) })]);
const cp2 = cp('cp-2', 2, 'cp-1', [vol('vol-a', { 1: H(4), 2: ZERO_BLOCK, 5: H(5) }), vol('vol-b', { 0: H(6), 1: H(7) })]);
const cp3 = cp('cp-3', 3, 'cp-2', [vol('vol-a', { 0: H(2), 2: H(8) }), vol('vol-b', { 1: H(9) })]);

describe('chain resolution', () => {
  it('later checkpoints win, zeroing included, at every point of the chain', () => {
    expect(asObject(resolveBlockMap([cp1], 'vol-a'))).toEqual({ 0: H(1), 1: H(2), 2: H(3) });
    expect(asObject(resolveBlockMap([cp1, cp2], 'vol-a'))).toEqual({ 0: H(1), 1: H(4), 2: ZERO_BLOCK, 5: H(5) });
    expect(asObject(resolveBlockMap([cp1, cp2, cp3], 'vol-a'))).toEqual({ 0: H(2), 1: H(4), 2: H(8), 5: H(5) });
  });

  it('a volume that appears mid-chain starts from its first (whole) read', () => {
    expect(asObject(resolveBlockMap([cp1, cp2, cp3], 'vol-b'))).toEqual({ 0: H(6), 1: H(9) });
    expect(() => resolveBlockMap([cp1], 'vol-b')).toThrow(/not in checkpoint cp-1/);
  });

  it('a volume that left and came back does not inherit its old blocks', () => {
    const c2 = cp('cp-2', 2, 'cp-1', []);
    const c3 = cp('cp-3', 3, 'cp-2', [vol('vol-a', { 7: H(7) })]);
    expect(asObject(resolveBlockMap([cp1, c2, c3], 'vol-a'))).toEqual({ 7: H(7) });
  });

  it('drops blocks past the final size and refuses broken chains', () => {
    const small = cp('cp-2', 2, 'cp-1', [vol('vol-a', {}, 2)]);
    expect(asObject(resolveBlockMap([cp1, small], 'vol-a'))).toEqual({ 0: H(1), 1: H(2) });
    expect(() => resolveBlockMap([cp2, cp3], 'vol-a')).toThrow(/must start at a full/);
    expect(() => resolveBlockMap([cp1, cp3], 'vol-a')).toThrow(/does not follow/);
  });

  it('finds the ids from the nearest full checkpoint', () => {
    const links = new Map([cp1, cp2, cp3].map((m) => [m.id, m] as const));
    expect(chainIds(links, 'cp-3')).toEqual(['cp-1', 'cp-2', 'cp-3']);
    expect(chainIds(links, 'cp-1')).toEqual(['cp-1']);
    links.delete('cp-1');
    expect(() => chainIds(links, 'cp-3')).toThrow(/needs cp-1, which does not exist/);
    expect(() => chainIds(links, 'cp-9')).toThrow(/cp-9 does not exist/);
  });

  it('blockMapToRecord keeps block order', () => {
    expect(
      Object.keys(
        blockMapToRecord(
          new Map([
            [10, 'x'],
            [2, 'y'],
          ]),
        ),
      ),
    ).toEqual(['2', '10']);
  });
});

describe('compaction plan', () => {
  const B = BLOCK_SIZE;
  const packs = new Map<string, PackIndex>([
    [P(1), { format: 1, blocks: [1, 2, 3].map((h, i) => ({ hash: H(h), offset: i * B, length: B })) }], // cp1's blocks
    [P(2), { format: 1, blocks: [4, 5, 6, 7].map((h, i) => ({ hash: H(h), offset: i * B, length: B })) }], // cp2's
    [P(3), { format: 1, blocks: [8, 9].map((h, i) => ({ hash: H(h), offset: i * B, length: B })) }], // cp3's
    [P(4), { format: 1, blocks: [{ hash: H(8), offset: 0, length: B }] }], // a duplicate of h8
  ]);

  it('drops what is older than the cut-off, rewrites the oldest kept as full, finds dead blocks and packs', () => {
    const plan = planCompaction('web', [cp1, cp2, cp3], '2026-11-25T01:30:00Z', packs);
    expect(plan.dropped).toEqual(['cp-1']);
    expect(plan.oldestKept).toBe('cp-2');
    expect(plan.rewritten).toMatchObject({ id: 'cp-2', full: true, parentId: null });
    expect(plan.rewritten!.volumes.map((v) => [v.sourceVolumeId, v.blocks])).toEqual([
      ['vol-a', { 0: H(1), 1: H(4), 2: ZERO_BLOCK, 5: H(5) }],
      ['vol-b', { 0: H(6), 1: H(7) }],
    ]);
    // h3 was only in cp1 (zeroed in cp2); h1, h2 stay live (cp2's full map and cp3)
    expect(plan.unreferencedHashes).toEqual([H(3)]);
    // a second copy of a live block (h8) stays: a reader that listed the packs at another time may read that copy
    expect(plan.deletablePacks).toEqual([]);
    expect(plan.partlyLivePacks).toEqual([
      { packId: P(1), liveBlocks: 2, deadBlocks: 1, liveBytes: 2 * B, deadBytes: B },
      // the kept duplicate counts as dead bytes that stay
      { packId: P(4), liveBlocks: 0, deadBlocks: 1, liveBytes: 0, deadBytes: B },
    ]);
  });

  it('keeps the newest checkpoint even when everything is older than the cut-off', () => {
    const plan = planCompaction('web', [cp1, cp2, cp3], '2026-11-26T00:00:00Z', packs);
    expect(plan.dropped).toEqual(['cp-1', 'cp-2']);
    expect(plan.oldestKept).toBe('cp-3');
    expect(plan.rewritten!.volumes.map((v) => v.blocks)).toEqual([
      { 0: H(2), 1: H(4), 2: H(8), 5: H(5) },
      { 0: H(6), 1: H(9) },
    ]);
    expect(plan.unreferencedHashes).toEqual([H(1), H(3), H(7)]);
    expect(plan.deletablePacks).toEqual([]);
    expect(plan.partlyLivePacks.map((p) => [p.packId, p.liveBlocks, p.deadBlocks])).toEqual([
      [P(1), 1, 2],
      [P(2), 3, 1],
      [P(4), 0, 1],
    ]);
  });

  it('deletes a pack none of whose blocks a kept checkpoint references, copies of dead blocks included', () => {
    const withDeadCopy = new Map([...packs, [P(5), { format: 1 as const, blocks: [{ hash: H(3), offset: 0, length: B }] }]]);
    const plan = planCompaction('web', [cp1, cp2, cp3], '2026-11-25T01:30:00Z', withDeadCopy);
    expect(plan.deletablePacks).toEqual([P(5)]);
  });

  it('keeps a retained checkpoint (the last copy of a departed volume) and everything after it, past the journal', () => {
    const plan = planCompaction('web', [cp1, cp2, cp3], '2026-11-26T00:00:00Z', packs, { retain: new Set(['cp-1']) });
    expect(plan).toMatchObject({ dropped: [], oldestKept: 'cp-1', rewritten: null });
  });

  it('changes nothing when every checkpoint is inside the journal', () => {
    const plan = planCompaction('web', [cp1, cp2, cp3], '2026-11-25T00:00:00Z', packs);
    expect(plan).toMatchObject({ dropped: [], oldestKept: 'cp-1', rewritten: null, unreferencedHashes: [], deletablePacks: [] });
    expect(planCompaction('web', [], '2026-11-25T00:00:00Z', new Map())).toMatchObject({ dropped: [], oldestKept: null, rewritten: null });
    expect(() => planCompaction('web', [cp1], 'soon', packs)).toThrow(/cut-off/);
  });
});
