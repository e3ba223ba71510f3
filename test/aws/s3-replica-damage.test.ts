/**
 * Damage isolated, over s3rver: strays are skipped and reported, a bad pack index disables that pack only,
 * corrupt manifests are refused on read, and a chain read survives compaction's rewrite-then-delete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BLOCK_SIZE, ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import { buildManifest, checkpointKey, packIndexKey, packKey, type VolumeMeta } from '../../runtime/core/store/format';
import type { CheckpointManifest } from '../../runtime/core/store/port';
import type { StoreProblem } from '../../runtime/core/store/problems';
import { CorruptManifest } from '../../runtime/core/store/validation';
import { MissingBlock } from '../../runtime/aws/s3-errors';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { startS3, type TestS3 } from '../helpers/s3rver';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const meta: VolumeMeta = { sourceVolumeId: 'vol-a', sourceInstanceId: 'i-1', device: '/dev/xvda', sizeBytes: 8 * BLOCK_SIZE, snapshotId: 'snap-1' };
const read = (blocks: Record<string, string>) => ({
  jobId: 'j',
  packs: [],
  volumes: [{ sourceVolumeId: 'vol-a', blocks, blocksRead: 1, bytesRead: 0, bytesStored: 0 }],
});

let s3: TestS3;
let problems: Array<{ vpg: string; problem: StoreProblem }>;
let store: S3ReplicaStore;
beforeAll(async () => {
  s3 = await startS3();
});
beforeEach(() => {
  problems = [];
  store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client(), onProblem: (vpg, problem) => problems.push({ vpg, problem }) });
});
afterAll(() => s3.close());

/** A VPG with two packs (one block each) and two checkpoints: cp1 full {0: a}, cp2 delta {1: b}. */
async function twoCheckpoints(vpg: string) {
  const [a, b] = [randomBytes(BLOCK_SIZE), randomBytes(BLOCK_SIZE)];
  const packA = await store.putPack(vpg, a, [{ hash: sha(a), offset: 0, length: BLOCK_SIZE }]);
  const packB = await store.putPack(vpg, b, [{ hash: sha(b), offset: 0, length: BLOCK_SIZE }]);
  const cp1 = buildManifest({
    vpg,
    syncId: 'sync0001',
    createdAt: '2026-11-25T10:00:00Z',
    parentId: null,
    full: true,
    volumes: [meta],
    results: [read({ 0: sha(a) })],
  });
  const cp2 = buildManifest({
    vpg,
    syncId: 'sync0002',
    createdAt: '2026-11-25T11:00:00Z',
    parentId: cp1.id,
    full: false,
    volumes: [meta],
    results: [read({ 1: sha(b), 2: ZERO_BLOCK })],
  });
  await store.commitCheckpoint(cp1);
  await store.commitCheckpoint(cp2);
  return { a, b, packA, packB, cp1, cp2 };
}

describe('stray objects under a VPG', () => {
  it("a person's copy and notes are skipped with a warning; list, resolve and read still work, and inspect names them", async () => {
    const { a, cp1, cp2 } = await twoCheckpoints('strays');
    const copy = 'vpgs/strays/checkpoints/cp-copy (1).json';
    await store.putJson(copy, await store.getJson(checkpointKey('strays', cp2.id)));
    await store.putBytes('vpgs/strays/checkpoints/notes.txt', Buffer.from('remember to rotate'));
    await store.putJson('vpgs/strays/packs/x.idx.json', { format: 1, blocks: [] });

    expect((await store.listCheckpoints('strays')).map((c) => c.id)).toEqual([cp1.id, cp2.id]);
    expect(Object.fromEntries(await store.resolveVolume('strays', cp2.id, 'vol-a'))).toEqual({ 0: sha(a), 1: expect.any(String), 2: ZERO_BLOCK });
    expect((await store.readBlock('strays', sha(a))).equals(a)).toBe(true);
    // each stray is reported once, however many listings meet it
    await store.listCheckpoints('strays');
    expect(problems.map((p) => [p.vpg, p.problem.kind, p.problem.key])).toEqual([
      ['strays', 'stray-object', copy],
      ['strays', 'stray-object', 'vpgs/strays/checkpoints/notes.txt'],
      ['strays', 'stray-object', 'vpgs/strays/packs/x.idx.json'],
    ]);
    expect((await store.inspect('strays')).map((p) => [p.kind, p.key])).toEqual([
      ['stray-object', copy],
      ['stray-object', 'vpgs/strays/checkpoints/notes.txt'],
      ['stray-object', 'vpgs/strays/packs/x.idx.json'],
    ]);
    expect(await store.inspect('nothing-here')).toEqual([]);
  });
});

describe('a store without onProblem', () => {
  it('warns of a stray in one JSON line on stderr, with the log field names of the steps and the agent', async () => {
    const quiet = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client() });
    await quiet.putJson('vpgs/default-warn/checkpoints/notes.json', {});
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
    try {
      expect(await quiet.listCheckpoints('default-warn')).toEqual([]);
    } finally {
      stderr.mockRestore();
    }
    const warnings = written.filter((w) => w.includes('replica store'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].endsWith('}\n')).toBe(true);
    const line = JSON.parse(warnings[0]) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'WARN',
      message: 'replica store: skipped a damaged or unknown object',
      vpg: 'default-warn',
      kind: 'stray-object',
      key: 'vpgs/default-warn/checkpoints/notes.json',
    });
    expect(new Date(String(line.timestamp)).toISOString()).toBe(line.timestamp);
  });
});

describe('a pack index that does not parse', () => {
  let badIndexes = 0;
  it.each([
    ['is not JSON', '{"format":1,"blocks":[{"hash"'],
    [
      'has one bad entry',
      (good: string) =>
        JSON.stringify({
          format: 1,
          blocks: [
            { hash: good, offset: 0, length: BLOCK_SIZE },
            { hash: 'x', offset: -1, length: 0 },
          ],
        }),
    ],
  ])('that %s disables its pack only: checkpoints needing it fail naming it, the rest work', async (_what, body) => {
    const vpg = `badidx-${++badIndexes}`;
    const { a, b, packB, cp1, cp2 } = await twoCheckpoints(vpg);
    const indexKey = packIndexKey(vpg, packB.packId);
    await store.putBytes(indexKey, Buffer.from(typeof body === 'string' ? body : body(sha(b))));

    const fresh = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client(), onProblem: (v, problem) => problems.push({ vpg: v, problem }) });
    const known = await fresh.knownHashes(vpg);
    expect([...known.keys()]).toEqual([sha(a)]);
    expect((await fresh.readBlock(vpg, sha(a))).equals(a)).toBe(true); // cp1 needs only pack A
    expect(Object.fromEntries(await fresh.resolveVolume(vpg, cp1.id, 'vol-a'))).toEqual({ 0: sha(a) });
    const error = await fresh.readBlock(vpg, sha(b)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBlock);
    expect((error as Error).message).toContain(packKey(vpg, packB.packId));
    expect((error as Error).message).toContain('its index is unreadable');
    expect(problems.map((p) => [p.problem.kind, p.problem.key])).toEqual([['unreadable-pack-index', indexKey]]);
    expect((await fresh.inspect(vpg)).map((p) => p.kind)).toEqual(['unreadable-pack-index']);
    expect(cp2.volumes[0].blocks).toHaveProperty('1', sha(b));
  });

  it('an index whose pack object is missing or shorter than its entries disables that pack', async () => {
    const { a, b, packA, packB } = await twoCheckpoints('shortpack');
    await store.putBytes(packKey('shortpack', packB.packId), b.subarray(0, 1000));
    await store.deletePrefix(packKey('shortpack', packA.packId));
    const listing = await store.packIndexes('shortpack');
    expect(listing.indexes.size).toBe(0);
    expect(listing.problems.map((p) => [p.kind, p.key])).toEqual(
      [
        ['pack-missing', packKey('shortpack', packA.packId)],
        ['pack-missing', packKey('shortpack', packB.packId)],
      ].sort(([, x], [, y]) => x.localeCompare(y)),
    );
    await expect(store.readBlock('shortpack', sha(a))).rejects.toThrow('its .pack object is missing');
    await expect(store.readBlock('shortpack', sha(b))).rejects.toThrow(`its .pack object has 1000 bytes, its index needs ${BLOCK_SIZE}`);
  });

  it('listPackObjects: one listing, each pack with its size, time and whether its index is there', async () => {
    const { packA, packB } = await twoCheckpoints('listing');
    await store.deletePrefix(packIndexKey('listing', packB.packId));
    const objects = await store.listPackObjects('listing');
    expect(objects).toEqual(
      [
        { packId: packA.packId, size: BLOCK_SIZE, lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), hasIndex: true },
        { packId: packB.packId, size: BLOCK_SIZE, lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), hasIndex: false },
      ].sort((x, y) => x.packId.localeCompare(y.packId)),
    );
  });
});

describe('manifests validated on read', () => {
  it.each([['-1'], ['1.5'], ['0x10'], ['8']])('block key %j is a CorruptManifest naming checkpoint, volume and key, on every path', async (key) => {
    const vpg = `corrupt-${key.replace(/[^0-9a-z]/g, 'x')}`;
    const { cp1, cp2 } = await twoCheckpoints(vpg);
    const damaged = { ...cp2, volumes: [{ ...cp2.volumes[0], blocks: { ...cp2.volumes[0].blocks, [key]: cp1.volumes[0].blocks['0'] } }] };
    await store.putJson(checkpointKey(vpg, cp2.id), damaged); // a hand edit: through the store's plain writer
    for (const attempt of [() => store.getCheckpoint(vpg, cp2.id), () => store.resolveVolume(vpg, cp2.id, 'vol-a'), () => store.getChain(vpg, cp2.id)]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptManifest);
      expect(error).toMatchObject({ name: 'CorruptManifest', checkpointId: cp2.id, sourceVolumeId: 'vol-a', key });
      expect((error as Error).message).toContain(`checkpoint ${cp2.id} of VPG ${vpg}, volume vol-a: block key "${key}"`);
    }
    expect((await store.getCheckpoint(vpg, cp1.id))?.id).toBe(cp1.id);
    await expect(store.commitCheckpoint(damaged as CheckpointManifest)).rejects.toThrow(CorruptManifest);
    // its summary still lists it (so a sync never builds on an older one), and inspect reports nothing until the manifest itself is needed
    expect((await store.listCheckpoints(vpg)).map((c) => c.id)).toEqual([cp1.id, cp2.id]);
  });

  it('a manifest that is not JSON, or names another checkpoint, is corrupt; without a summary, inspect reports it', async () => {
    const { cp1, cp2 } = await twoCheckpoints('notjson');
    await store.putBytes(checkpointKey('notjson', cp2.id), Buffer.from('{"format":1,'));
    await expect(store.getCheckpoint('notjson', cp2.id)).rejects.toThrow(`CorruptManifest: checkpoint ${cp2.id} of VPG notjson`);
    await store.putJson(checkpointKey('notjson', cp1.id), { ...cp1, id: cp2.id });
    await expect(store.getCheckpoint('notjson', cp1.id)).rejects.toMatchObject({ key: 'id' });
    await store.deletePrefix(`vpgs/notjson/checkpoints/${cp2.id}.summary.json`);
    await expect(store.listCheckpoints('notjson')).rejects.toThrow(CorruptManifest);
    expect((await store.inspect('notjson')).map((p) => [p.kind, p.key])).toEqual([['corrupt-manifest', checkpointKey('notjson', cp2.id)]]);
  });
});

describe('chains', () => {
  it('a missing parent is read again once: a compaction that rewrote the child as full meanwhile is no failure', async () => {
    const { a, b, cp1, cp2 } = await twoCheckpoints('race');
    const rewritten: CheckpointManifest = {
      ...cp2,
      parentId: null,
      full: true,
      volumes: [{ ...cp2.volumes[0], blocks: { 0: sha(a), 1: sha(b), 2: ZERO_BLOCK } }],
    };
    // The reader gets the old delta; before it reads the parent, compaction rewrites the child, then deletes the parent.
    class Racing extends S3ReplicaStore {
      raced = false;
      override async getCheckpoint(vpg: string, id: string) {
        const m = await super.getCheckpoint(vpg, id);
        if (!this.raced && id === cp2.id) {
          this.raced = true;
          await store.commitCheckpoint(rewritten);
          await store.deletePrefix(checkpointKey(vpg, cp1.id));
        }
        return m;
      }
    }
    const racing = new Racing({ bucket: s3.bucket, client: s3.client() });
    const chain = await racing.getChain('race', cp2.id);
    expect(racing.raced).toBe(true);
    expect(chain.map((m) => [m.id, m.full])).toEqual([[cp2.id, true]]);
  });

  it('a parent still missing on the second read is a broken chain; inspect reports it', async () => {
    const { cp1, cp2 } = await twoCheckpoints('broken');
    await store.deletePrefix(checkpointKey('broken', cp1.id));
    await expect(store.getChain('broken', cp2.id)).rejects.toMatchObject({ name: 'BrokenChain', checkpointId: cp2.id, missingId: cp1.id });
    await expect(store.resolveVolume('broken', cp2.id, 'vol-a')).rejects.toThrow(
      `checkpoint ${cp2.id} of VPG broken needs parent ${cp1.id}, which does not exist (broken chain)`,
    );
    expect((await store.inspect('broken')).map((p) => [p.kind, p.key])).toEqual([['broken-chain', checkpointKey('broken', cp2.id)]]);
  });
});
