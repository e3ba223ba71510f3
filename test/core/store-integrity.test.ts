/** checkpointIntegrity with plain data: chains, indexes and pack objects, and what a restore would miss. */
import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../../runtime/core/workers/agent-job';
import type { PackIndex } from '../../runtime/core/store/pack-index';
import type { CheckpointManifest, CheckpointVolume } from '../../runtime/core/store/port';
import { checkpointIntegrity, type IntegrityInput } from '../../runtime/core/store/integrity';
import type { PackObject } from '../../runtime/core/store/problems';

const B = BLOCK_SIZE;
const H = (n: number) => n.toString(16).padStart(64, '0');
const P = (n: number) => n.toString(16).padStart(64, 'f');

function vol(id: string, blocks: Record<number, BlockRef>): CheckpointVolume {
  return {
    sourceVolumeId: id,
    sourceInstanceId: 'i-1',
    device: '/dev/xvda',
    sizeBytes: 16 * B,
    snapshotId: 'snap',
    blocksChanged: 0,
    blocksRead: 0,
    bytesStored: 0,
    blocks,
  };
}
function cp(id: string, parentId: string | null, volumes: CheckpointVolume[]): CheckpointManifest {
  return { format: 1, id, vpg: 'web', syncId: id, createdAt: '2026-11-25T01:00:00.000Z', parentId, full: parentId === null, volumes };
}
const index = (...hashes: string[]): PackIndex => ({ format: 1, blocks: hashes.map((hash, i) => ({ hash, offset: i * B, length: B })) });
const present = (packId: string, size: number): PackObject => ({ packId, size, lastModified: '2026-11-25T01:00:00.000Z', hasIndex: true });

// cp1 full: a = {0:h1, 1:h2, 2:zero}, b = {0:h3}; cp2 delta: a overwrites 1 with h4; cp3 delta on cp2: b adds 4:h5
const cp1 = cp('cp-1', null, [vol('vol-a', { 0: H(1), 1: H(2), 2: ZERO_BLOCK }), vol('vol-b', { 0: H(3) })]);
const cp2 = cp('cp-2', 'cp-1', [vol('vol-a', { 1: H(4) }), vol('vol-b', {})]);
const cp3 = cp('cp-3', 'cp-2', [vol('vol-a', {}), vol('vol-b', { 4: H(5) })]);
const indexes = new Map([
  [P(1), index(H(1), H(2), H(3))],
  [P(2), index(H(4), H(5))],
]);
const packs = [present(P(1), 3 * B), present(P(2), 2 * B)];
const check = (over: Partial<IntegrityInput> = {}) =>
  checkpointIntegrity({ vpg: 'web', checkpointId: 'cp-3', manifests: [cp1, cp2, cp3], indexes, packs, ...over });

describe('checkpointIntegrity', () => {
  it('a sound chain whose every block is in a live pack has no problems, given the chain or every manifest', () => {
    expect(check()).toEqual([]);
    expect(check({ manifests: [cp3, cp1, cp2, cp('cp-9', null, [])] })).toEqual([]);
    expect(check({ checkpointId: 'cp-1' })).toEqual([]);
  });

  it('a missing parent, a loop, or a delta without a parent: the chain does not reach a full checkpoint', () => {
    expect(check({ manifests: [cp1, cp3] })).toEqual([
      {
        kind: 'broken-chain',
        checkpointId: 'cp-3',
        message: 'checkpoint cp-3 of VPG web: it needs cp-2, which does not exist: the chain does not reach a full checkpoint',
      },
    ]);
    const loopA = cp('cp-a', 'cp-b', []);
    const loopB = cp('cp-b', 'cp-a', []);
    expect(check({ checkpointId: 'cp-a', manifests: [loopA, loopB] })[0].message).toBe('checkpoint cp-a of VPG web: its chain loops at cp-a');
    expect(check({ checkpointId: 'cp-x' })[0]).toMatchObject({ kind: 'broken-chain', message: expect.stringContaining('not among the manifests') });
    expect(check({ checkpointId: 'cp-d', manifests: [{ ...cp('cp-d', null, []), full: false }] })[0].message).toContain('a delta with no parent');
  });

  it('blocks in no index are counted per volume, with the first one named; zero blocks need nothing', () => {
    const problems = check({ indexes: new Map([[P(2), index(H(4), H(5))]]), packs: [present(P(2), 2 * B)] });
    expect(problems).toEqual([
      {
        kind: 'missing-blocks',
        checkpointId: 'cp-3',
        sourceVolumeId: 'vol-a',
        blocks: 1,
        message: `checkpoint cp-3 of VPG web, volume vol-a: 1 block(s) are in no live pack index (first: block 0, hash ${H(1)})`,
      },
      {
        kind: 'missing-blocks',
        checkpointId: 'cp-3',
        sourceVolumeId: 'vol-b',
        blocks: 1,
        message: `checkpoint cp-3 of VPG web, volume vol-b: 1 block(s) are in no live pack index (first: block 0, hash ${H(3)})`,
      },
    ]);
  });

  it('only the resolved map counts: a block a later checkpoint replaced is not needed', () => {
    // h2 (block 1 of vol-a in cp1) was replaced by h4 in cp2: losing it harms cp1, not cp3
    const withoutH2 = new Map([
      [P(1), index(H(1), H(3))],
      [P(2), index(H(4), H(5))],
    ]);
    expect(check({ indexes: withoutH2, packs: [present(P(1), 2 * B), present(P(2), 2 * B)] })).toEqual([]);
    expect(check({ checkpointId: 'cp-1', indexes: withoutH2 }).map((p) => [p.kind, p.sourceVolumeId, p.blocks])).toEqual([['missing-blocks', 'vol-a', 1]]);
  });

  it('an index whose pack object is missing or short serves nothing: the pack and the volumes are named, with counts', () => {
    const problems = check({ packs: [present(P(1), 3 * B - 1)] });
    expect(problems.map((p) => [p.kind, p.sourceVolumeId ?? p.packId, p.blocks])).toEqual([
      ['missing-blocks', 'vol-a', 2],
      ['missing-blocks', 'vol-b', 2],
      ['pack-missing', P(1), 2],
      ['pack-missing', P(2), 2],
    ]);
    expect(problems[2].message).toBe(
      `checkpoint cp-3 of VPG web: pack ${P(1)} holds 2 of its block(s), but its .pack object has ${3 * B - 1} bytes, its index needs ${3 * B}`,
    );
    expect(problems[3].message).toContain('its .pack object is missing');
  });

  it('a second, live copy of a block in another pack keeps it restorable', () => {
    const copies = new Map([...indexes, [P(3), index(H(4), H(5))]]);
    expect(check({ indexes: copies, packs: [present(P(1), 3 * B), present(P(3), 2 * B)] })).toEqual([]);
  });

  it('a checkpoint not committed yet is checked with its parents', () => {
    const next = cp('cp-4', 'cp-3', [vol('vol-a', { 3: H(6) }), vol('vol-b', {})]);
    expect(check({ checkpointId: 'cp-4', manifests: [cp1, cp2, cp3, next] })).toEqual([
      expect.objectContaining({ kind: 'missing-blocks', sourceVolumeId: 'vol-a', blocks: 1, message: expect.stringContaining(`block 3, hash ${H(6)}`) }),
    ]);
  });
});
