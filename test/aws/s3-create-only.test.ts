/**
 * Create-only writes against the offline cloud's S3, which evaluates `If-None-Match: *` as AWS does (412 when
 * the key exists): a pack written twice is one pack, an index that differs is refused, nothing is overwritten.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { packIndexKey, packKey } from '../../runtime/core/store/format';
import { makeAgentS3Client } from '../../runtime/aws/agent-s3-client';
import { AlreadyExists } from '../../runtime/aws/s3-errors';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { clientConfig, startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';

const BUCKET = 'replica-create-only';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let t: TestCloud;
let agentClient: S3Client;
let store: S3ReplicaStore;
beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  agentClient = makeAgentS3Client({ ...clientConfig(t.url), forcePathStyle: true });
  store = new S3ReplicaStore({ bucket: BUCKET, client: agentClient }); // as the agent writes
});
afterAll(async () => {
  agentClient.destroy();
  await t.stop();
});

function blocks(n: number): { chunks: Buffer[]; index: Array<{ hash: string; offset: number; length: number }> } {
  const chunks = Array.from({ length: n }, () => randomBytes(BLOCK_SIZE));
  return { chunks, index: chunks.map((c, i) => ({ hash: sha(c), offset: i * BLOCK_SIZE, length: BLOCK_SIZE })) };
}

describe('create-only writes', () => {
  it('the offline S3 refuses a second If-None-Match PUT (the premise of these tests)', async () => {
    expect(await store.createBytes('vpgs/web/syncs/s/results/premise.json', Buffer.from('1'))).toBe(true);
    expect(await store.createBytes('vpgs/web/syncs/s/results/premise.json', Buffer.from('2'))).toBe(false);
    expect((await store.getBytes('vpgs/web/syncs/s/results/premise.json'))!.toString()).toBe('1');
  });

  it.each([
    ['one buffer', 1],
    ['several chunks (streamed)', 3],
  ])('a pack written twice (%s) is one pack: the second write succeeds and overwrites nothing', async (_what, n) => {
    const { chunks, index } = blocks(n);
    const packId = 'a'.repeat(63) + String(n);
    const first = await store.putPack('web', n === 1 ? chunks[0] : chunks, index, packId);
    // The id names the content, so the pack there is kept: even other bytes under that id do not replace it.
    const other = chunks.map((c) => Buffer.alloc(c.length, 7));
    const again = await store.putPack('web', n === 1 ? other[0] : other, index, packId);
    expect(again).toEqual(first);
    expect((await store.getBytes(packKey('web', packId)))!.equals(Buffer.concat(chunks))).toBe(true);
    expect(await store.getJson(packIndexKey('web', packId))).toEqual({ format: 1, blocks: index });
  });

  it('a pack whose existing index differs is refused, naming the pack and its index; the index stays as it was', async () => {
    const { chunks, index } = blocks(2);
    const packId = 'b'.repeat(64);
    await store.putPack('web', Buffer.concat(chunks), index, packId);
    const other = [index[1], index[0]].map((e, i) => ({ ...e, offset: i * BLOCK_SIZE }));
    const error = await store.putPack('web', Buffer.concat([chunks[1], chunks[0]]), other, packId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlreadyExists);
    expect((error as Error).message).toContain(`pack ${packId} of VPG web already has an index (s3://${BUCKET}/${packIndexKey('web', packId)}) that differs`);
    expect(await store.getJson(packIndexKey('web', packId))).toEqual({ format: 1, blocks: index });
    expect((await store.getBytes(packKey('web', packId)))!.equals(Buffer.concat(chunks))).toBe(true);
  });

  it('createJson: the same bytes again is a retried write (fine); other bytes are refused and the first stay', async () => {
    const key = 'vpgs/web/syncs/s/results/j.json';
    await store.createJson(key, { jobId: 'j', volumes: [] });
    await store.createJson(key, { jobId: 'j', volumes: [] });
    await expect(store.createJson(key, { jobId: 'j', volumes: [1] })).rejects.toThrow(AlreadyExists);
    expect(await store.getJson(key)).toEqual({ jobId: 'j', volumes: [] });
  });
});
