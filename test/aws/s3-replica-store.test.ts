import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK_SIZE, ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import { buildManifest, checkpointIdFor, packIndexKey, packKey, type VolumeMeta } from '../../runtime/core/store/format';
import { CorruptBlock, MissingBlock, ReplicaStoreError } from '../../runtime/aws/s3-errors';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { startS3, type TestS3 } from '../helpers/s3rver';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let s3: TestS3;
let store: S3ReplicaStore;
beforeAll(async () => {
  s3 = await startS3();
  store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client() });
});
afterAll(() => s3.close());

/** The file s3rver keeps an object's bytes in (its on-disk layout: <bucket>/<key>._S3rver_object). */
function objectFile(key: string): string {
  const path = join(s3.directory, s3.bucket, `${key}._S3rver_object`);
  statSync(path);
  return path;
}

async function putTestPack(vpg: string, blocks: Buffer[]) {
  const bytes = Buffer.concat(blocks);
  const index = blocks.map((b, i) => ({ hash: sha(b), offset: i * BLOCK_SIZE, length: BLOCK_SIZE }));
  const put = await store.putPack(vpg, bytes, index);
  return { ...put, index, bytes };
}

describe('S3ReplicaStore over s3rver', () => {
  it('puts and gets JSON; a missing object is null', async () => {
    await store.putJson('vpgs/a/syncs/s/plans/vol-1.json', { blocks: [1, 2, 3] });
    expect(await store.getJson('vpgs/a/syncs/s/plans/vol-1.json')).toEqual({ blocks: [1, 2, 3] });
    expect(await store.getJson('vpgs/a/nothing.json')).toBeNull();
  });

  it('deletes a prefix, and only that prefix', async () => {
    for (let i = 0; i < 5; i++) await store.putJson(`vpgs/d/syncs/s1/jobs/j${i}.json`, { i });
    await store.putJson('vpgs/d/syncs/s2/jobs/j0.json', { keep: true });
    expect(await store.deletePrefix('vpgs/d/syncs/s1/')).toBe(5);
    expect(await store.getJson('vpgs/d/syncs/s1/jobs/j0.json')).toBeNull();
    expect(await store.getJson('vpgs/d/syncs/s2/jobs/j0.json')).toEqual({ keep: true });
    await expect(store.deletePrefix('')).rejects.toThrow(/empty prefix/);
  });

  it('stores packs (id = SHA-256 of the bytes), lists their indexes, reads blocks back verified', async () => {
    const blocks = [randomBytes(BLOCK_SIZE), randomBytes(BLOCK_SIZE), randomBytes(BLOCK_SIZE)];
    const { packId, packKey: key, bytes } = await putTestPack('p', blocks);
    expect(packId).toBe(sha(bytes));
    expect(key).toBe(packKey('p', packId));
    expect(await store.getJson(packIndexKey('p', packId))).toMatchObject({ format: 1 });
    const second = await putTestPack('p', [randomBytes(BLOCK_SIZE)]);

    const fresh = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client() });
    const indexes = await fresh.listPackIndexes('p');
    expect([...indexes.keys()].sort()).toEqual([packId, second.packId].sort());
    const known = await fresh.knownHashes('p');
    expect(known.size).toBe(4);
    expect(known.get(sha(blocks[1]))).toEqual({ packId, packKey: key, offset: BLOCK_SIZE, length: BLOCK_SIZE });
    expect((await fresh.readBlock('p', sha(blocks[2]))).equals(blocks[2])).toBe(true);
    expect((await fresh.readBlock('p', second.index[0].hash)).equals(second.bytes)).toBe(true);
  });

  it('a flipped byte in a pack is a CorruptBlock naming the hash and the pack', async () => {
    const blocks = [randomBytes(BLOCK_SIZE), randomBytes(BLOCK_SIZE)];
    const { packKey: key } = await putTestPack('c', blocks);
    const file = objectFile(key);
    const raw = readFileSync(file);
    raw[BLOCK_SIZE + 1000] ^= 0xff;
    writeFileSync(file, raw);
    const hash = sha(blocks[1]);
    const error = await store.readBlock('c', hash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptBlock);
    expect((error as Error).message).toContain(hash);
    expect((error as Error).message).toContain(key);
    expect((await store.readBlock('c', sha(blocks[0]))).equals(blocks[0])).toBe(true);
  });

  it('a missing pack, or an unknown hash, is a MissingBlock', async () => {
    const block = randomBytes(BLOCK_SIZE);
    const { packKey: key } = await putTestPack('m', [block]);
    await store.knownHashes('m');
    await store.deletePrefix(key); // the pack object, not its index
    const error = await store.readBlock('m', sha(block)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBlock);
    expect((error as Error).message).toContain(sha(block));
    expect((error as Error).message).toContain(key);
    await expect(store.readBlock('m', 'e'.repeat(64))).rejects.toThrow(new RegExp(`MissingBlock: block ${'e'.repeat(64)} is in no pack index`));
  });

  it('commits checkpoints (manifest last), lists them by time, resolves a volume through its chain', async () => {
    const meta: VolumeMeta = { sourceVolumeId: 'vol-a', sourceInstanceId: 'i-1', device: '/dev/xvda', sizeBytes: 8 * BLOCK_SIZE, snapshotId: 'snap-1' };
    const read = (blocks: Record<string, string>) => ({
      jobId: 'j',
      packs: [],
      volumes: [{ sourceVolumeId: 'vol-a', blocks, blocksRead: Object.keys(blocks).length, bytesRead: 0, bytesStored: 0 }],
    });
    const h = (n: number) => String(n).repeat(64).slice(0, 64);
    const m1 = buildManifest({
      vpg: 'k',
      syncId: 'sync0001',
      createdAt: '2026-11-25T10:00:00Z',
      parentId: null,
      full: true,
      volumes: [meta],
      results: [read({ 0: h(1), 1: h(2) })],
    });
    const m2 = buildManifest({
      vpg: 'k',
      syncId: 'sync0002',
      createdAt: '2026-11-25T11:00:00Z',
      parentId: m1.id,
      full: false,
      volumes: [meta],
      results: [read({ 1: ZERO_BLOCK, 3: h(3) })],
    });
    const m3 = buildManifest({
      vpg: 'k',
      syncId: 'sync0003',
      createdAt: '2026-11-25T12:00:00Z',
      parentId: m2.id,
      full: false,
      volumes: [meta],
      results: [read({ 0: h(4) })],
    });
    for (const m of [m3, m1, m2]) await store.commitCheckpoint(m);
    // a summary whose manifest never landed (a crashed commit) is not a checkpoint
    await store.putJson(`vpgs/k/checkpoints/${checkpointIdFor('2026-11-25T13:00:00Z', 'x')}.summary.json`, { id: 'ghost' });

    const list = await store.listCheckpoints('k');
    expect(list.map((c) => c.id)).toEqual([m1.id, m2.id, m3.id]);
    expect(list[1]).toMatchObject({ parentId: m1.id, createdAt: '2026-11-25T11:00:00.000Z' });
    expect(list[1].volumes[0]).toMatchObject({ sourceVolumeId: 'vol-a', blocksChanged: 2 });
    expect(await store.getCheckpoint('k', m2.id)).toEqual(m2);
    expect(Object.fromEntries(await store.resolveVolume('k', m3.id, 'vol-a'))).toEqual({ 0: h(4), 1: ZERO_BLOCK, 3: h(3) });
    expect(Object.fromEntries(await store.resolveVolume('k', m2.id, 'vol-a'))).toEqual({ 0: h(1), 1: ZERO_BLOCK, 3: h(3) });
    await expect(store.resolveVolume('k', 'cp-nope', 'vol-a')).rejects.toThrow(/checkpoint cp-nope of VPG k does not exist/);
    await store.deletePrefix(`vpgs/k/checkpoints/${m1.id}.json`);
    await expect(store.resolveVolume('k', m3.id, 'vol-a')).rejects.toThrow(/needs parent .*\(broken chain\)/);
  });

  it('lists launch facts from the summaries; a summary whose facts are malformed gives way to its (valid) manifest', async () => {
    const facts = {
      instanceId: 'i-0aaaaaaaaaaaaaaaa',
      instanceType: 't3.micro',
      architecture: 'x86_64',
      rootDeviceName: '/dev/xvda',
      virtualizationType: 'hvm',
      enaSupport: true,
      tags: { Name: 'web-1' },
      network: { securityGroupIds: [], privateIps: ['10.0.0.5'] },
    };
    const meta: VolumeMeta = { sourceVolumeId: 'vol-f', sourceInstanceId: facts.instanceId, device: '/dev/xvda', sizeBytes: BLOCK_SIZE * 4, snapshotId: 's' };
    const plain = buildManifest({ vpg: 'f', syncId: 'sync0001', createdAt: '2026-11-25T10:00:00Z', parentId: null, full: true, volumes: [meta], results: [] });
    const withFacts = buildManifest({
      vpg: 'f',
      syncId: 'sync0002',
      createdAt: '2026-11-25T11:00:00Z',
      parentId: null,
      full: true,
      volumes: [{ ...meta, volumeType: 'gp3', iops: 3000, throughput: 125 }],
      results: [],
      instances: [facts],
    });
    await store.commitCheckpoint(plain);
    await store.commitCheckpoint(withFacts);
    const [older, listed] = await store.listCheckpoints('f');
    expect(older.instances).toBeUndefined();
    expect(listed.instances).toEqual([facts]);
    expect(listed.volumes[0]).toMatchObject({ volumeType: 'gp3', iops: 3000, throughput: 125 });
    // a summary damaged by hand: its manifest stands in for it
    await store.putJson(`vpgs/f/checkpoints/${withFacts.id}.summary.json`, { ...listed, instances: [{ ...facts, enaSupport: 'yes' }] });
    const [, reread] = await store.listCheckpoints('f');
    expect(reread.instances).toEqual([facts]);
  });

  it('turns SDK failures into ReplicaStoreErrors that name the object', async () => {
    const other = new S3ReplicaStore({ bucket: 'no-such-bucket', client: s3.client({ maxAttempts: 1 }) });
    const error = await other.putJson('vpgs/x/a.json', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplicaStoreError);
    expect((error as Error).message).toMatch(/S3 PutObject s3:\/\/no-such-bucket\/vpgs\/x\/a.json failed: NoSuchBucket/);
    expect(readdirSync(s3.directory)).toContain(s3.bucket);
  });
});
