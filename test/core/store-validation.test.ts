/** Manifests validated on read: what Lifeboat writes passes, each kind of damage is a CorruptManifest naming it. */
import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../../runtime/core/workers/agent-job';
import { blockIndexOf, buildManifest, checkpointIdFromKey, isCheckpointId } from '../../runtime/core/store/format';
import { resolveBlockMap } from '../../runtime/core/store/chain';
import { planCompaction } from '../../runtime/core/store/compaction';
import type { CheckpointManifest } from '../../runtime/core/store/port';
import { CorruptManifest, validateManifest } from '../../runtime/core/store/validation';

const H = (n: number) => n.toString(16).padStart(64, '0');
const SIZE = 8 * BLOCK_SIZE;
const meta = { sourceVolumeId: 'vol-a', sourceInstanceId: 'i-1', device: '/dev/xvda', sizeBytes: SIZE, snapshotId: 'snap-1' };
const read = (blocks: Record<string, BlockRef>) => ({
  jobId: 'j',
  packs: [],
  volumes: [{ sourceVolumeId: 'vol-a', blocks, blocksRead: 1, bytesRead: BLOCK_SIZE, bytesStored: 0 }],
});

const full = buildManifest({
  vpg: 'web',
  syncId: 'sync-00000001',
  createdAt: '2026-11-25T01:00:00Z',
  parentId: null,
  full: true,
  volumes: [meta],
  results: [read({ 0: H(1), 1: H(2), 7: ZERO_BLOCK })],
});
const delta = buildManifest({
  vpg: 'web',
  syncId: 'sync-00000002',
  createdAt: '2026-11-25T02:00:00Z',
  parentId: full.id,
  full: false,
  volumes: [meta],
  results: [read({ 1: H(3) })],
});
const expectFor = (m: CheckpointManifest) => ({ vpg: 'web', checkpointId: m.id });
/** The delta with one block map replaced (plain JSON, as a damaged object would parse). */
const withBlocks = (blocks: Record<string, unknown>) => ({ ...delta, volumes: [{ ...delta.volumes[0], blocks }] });

function corrupt(raw: unknown, m: CheckpointManifest = delta): CorruptManifest {
  try {
    validateManifest(raw, expectFor(m));
  } catch (e) {
    expect(e).toBeInstanceOf(CorruptManifest);
    return e as CorruptManifest;
  }
  throw new Error('validateManifest accepted a damaged manifest');
}

describe('validateManifest', () => {
  it("accepts what Lifeboat writes: a first sync's full manifest, a delta, and compaction's rewrite as a full map", () => {
    expect(validateManifest(JSON.parse(JSON.stringify(full)), expectFor(full))).toEqual(full);
    expect(validateManifest(JSON.parse(JSON.stringify(delta)), expectFor(delta))).toEqual(delta);
    const plan = planCompaction('web', [full, delta], '2026-11-25T01:30:00Z', new Map());
    expect(plan.rewritten).not.toBeNull();
    expect(validateManifest(JSON.parse(JSON.stringify(plan.rewritten)), expectFor(delta)).full).toBe(true);
  });

  it.each([['-1'], ['1.5'], ['0x10'], ['01'], [' 1'], ['1e3'], ['-0'], [''], ['__proto__']])(
    'refuses the block key %j, naming checkpoint, volume and key',
    (key) => {
      const error = corrupt(JSON.parse(JSON.stringify(withBlocks({ 1: H(3), [key]: H(4) }))));
      expect(error).toMatchObject({ name: 'CorruptManifest', checkpointId: delta.id, sourceVolumeId: 'vol-a', key });
      expect(error.message).toContain(`checkpoint ${delta.id} of VPG web, volume vol-a`);
      expect(error.message).toContain(`block key ${JSON.stringify(key)}`);
    },
  );

  it('refuses a key at or past the volume\'s block count, and refs that are neither "zero" nor a SHA-256', () => {
    expect(corrupt(withBlocks({ 8: H(1) }))).toMatchObject({ key: '8', message: expect.stringContaining("past the volume's 8 blocks") });
    expect(validateManifest(withBlocks({ 7: H(1) }), expectFor(delta)).volumes[0].blocks).toEqual({ 7: H(1) });
    expect(corrupt(withBlocks({ 2: 'ZERO' })).key).toBe('2');
    expect(corrupt(withBlocks({ 2: H(0xabc).toUpperCase() })).message).toContain('neither "zero" nor a SHA-256');
    expect(corrupt(withBlocks({ 2: 7 })).key).toBe('2');
    expect(corrupt(withBlocks([H(1)] as unknown as Record<string, unknown>)).key).toBe('blocks');
  });

  it('refuses a manifest that is not its own checkpoint, or breaks the format', () => {
    expect(corrupt({ ...delta, id: 'cp-20261125T020000Z-other' })).toMatchObject({ key: 'id', sourceVolumeId: null });
    expect(corrupt({ ...delta, vpg: 'db' }).key).toBe('vpg');
    expect(corrupt({ ...delta, format: 2 }).key).toBe('format');
    expect(corrupt({ ...delta, full: true }).message).toContain('full yet has parent');
    expect(corrupt({ ...delta, parentId: null }).message).toContain('delta (full: false) with no parent');
    expect(corrupt({ ...delta, parentId: delta.id }).key).toBe('parentId');
    expect(corrupt({ ...delta, parentId: '../x' }).key).toBe('parentId');
    expect(corrupt({ ...delta, createdAt: 'yesterday' }).key).toBe('createdAt');
    expect(corrupt({ ...delta, volumes: {} }).key).toBe('volumes');
    expect(corrupt({ ...delta, volumes: [delta.volumes[0], delta.volumes[0]] })).toMatchObject({ key: 'sourceVolumeId', sourceVolumeId: 'vol-a' });
    expect(corrupt({ ...delta, volumes: [{ ...delta.volumes[0], sizeBytes: -1 }] })).toMatchObject({ key: 'sizeBytes', sourceVolumeId: 'vol-a' });
    expect(corrupt({ ...delta, volumes: [{ ...delta.volumes[0], blocksRead: 1.5 }] }).key).toBe('blocksRead');
    expect(corrupt({ ...delta, volumes: [{ ...delta.volumes[0], snapshotId: undefined }] }).key).toBe('snapshotId');
    expect(corrupt([delta]).key).toBeNull();
    expect(corrupt(null).message).toContain('not a JSON object');
  });
});

describe('chain resolution of a damaged map', () => {
  it('a key "-1" fails with the checkpoint, volume and key instead of overwriting block 0', () => {
    const bad = withBlocks({ '-1': H(9) }) as CheckpointManifest;
    expect(() => resolveBlockMap([full, bad], 'vol-a')).toThrow(CorruptManifest);
    expect(() => resolveBlockMap([full, bad], 'vol-a')).toThrow(`checkpoint ${delta.id} of VPG web, volume vol-a: block key "-1"`);
    for (const key of ['1.5', '0x10', '01'])
      expect(() => resolveBlockMap([full, withBlocks({ [key]: H(9) }) as CheckpointManifest], 'vol-a')).toThrow(`block key "${key}"`);
    expect(Object.fromEntries(resolveBlockMap([full, delta], 'vol-a'))).toEqual({ 0: H(1), 1: H(3), 7: ZERO_BLOCK });
  });
});

describe('names', () => {
  it('block indexes are canonical decimal integers only', () => {
    expect(['0', '17', '9007199254740991'].map(blockIndexOf)).toEqual([0, 17, 9007199254740991]);
    expect(['-1', '1.5', '0x10', '01', ' 1', '1 ', '1e3', '-0', '', '+1', '9007199254740993', 'Infinity'].map(blockIndexOf)).toEqual(Array(12).fill(null));
  });

  it("checkpoint ids are the shape checkpointIdFor gives; a person's copy is not one", () => {
    expect(isCheckpointId(full.id)).toBe(true);
    expect(checkpointIdFromKey(`vpgs/web/checkpoints/${full.id}.json`)).toBe(full.id);
    for (const name of ['cp-copy (1)', `${full.id} (1)`, `${full.id}-copy`, 'notes', `${full.id}.summary`, 'CP-20261125T010000Z-00000001']) {
      expect(checkpointIdFromKey(`vpgs/web/checkpoints/${name}.json`)).toBeNull();
    }
  });
});
