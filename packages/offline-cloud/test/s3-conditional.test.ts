/**
 * S3 conditional requests on the offline cloud, through the real @aws-sdk/client-s3: the rules a lease
 * object relies on (If-None-Match: *, If-Match: <etag>, conditional deletes), and refusals of the rest.
 */
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startTestCloud, type TestCloud } from '../src/testing';

const BUCKET = 'conditional';
let t: TestCloud;

beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(() => t.stop());

const put = (Key: string, Body: string | Readable, extra: { IfMatch?: string; IfNoneMatch?: string; ContentLength?: number } = {}) =>
  t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...extra }));
const text = async (Key: string) => (await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToString();
const missing = (Key: string) =>
  expect(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
const refusedWith = (name: string, status: number) => ({ name, $metadata: expect.objectContaining({ httpStatusCode: status }) });

/** Waits (polling, with a deadline) until `n` writes of the key hold or wait for its lock. */
async function queued(key: string, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (t.cloud.s3.queuedWrites(BUCKET, key) !== n) {
    if (Date.now() > deadline) throw new Error(`never saw ${n} writes queued on ${key}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

test('PutObject returns the ETag that GetObject and HeadObject report', async () => {
  const { ETag } = await put('etag/one', 'hello');
  expect(ETag).toMatch(/^"[0-9a-f]{32}"$/);
  expect((await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'etag/one' }))).ETag).toBe(ETag);
  expect((await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'etag/one' }))).ETag).toBe(ETag);
});

test('If-Match with the current ETag replaces the object (quoted or not) and returns the new ETag', async () => {
  const v1 = await put('lease/a', 'holder-1');
  const v2 = await put('lease/a', 'holder-2', { IfMatch: v1.ETag });
  expect(v2.ETag).toBeDefined();
  expect(v2.ETag).not.toBe(v1.ETag);
  expect(await text('lease/a')).toBe('holder-2');
  await put('lease/a', 'holder-3', { IfMatch: v2.ETag!.replace(/"/g, '') });
  expect(await text('lease/a')).toBe('holder-3');
});

test('If-Match with a stale ETag is 412 PreconditionFailed and leaves the object alone', async () => {
  const v1 = await put('lease/b', 'holder-1');
  await put('lease/b', 'holder-2');
  await expect(put('lease/b', 'thief', { IfMatch: v1.ETag })).rejects.toMatchObject(refusedWith('PreconditionFailed', 412));
  expect(await text('lease/b')).toBe('holder-2');
});

test('If-Match on a key with no object is 404 NoSuchKey and creates nothing', async () => {
  await expect(put('lease/none', 'x', { IfMatch: '"0123456789abcdef0123456789abcdef"' })).rejects.toMatchObject(refusedWith('NoSuchKey', 404));
  await missing('lease/none');
});

test('concurrent If-Match writers with one ETag: exactly one wins', async () => {
  const base = await put('lease/race', 'base');
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => put('lease/race', `writer-${i}`, { IfMatch: base.ETag })));
  const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  expect(won).toHaveLength(1);
  const losers = results.filter((r) => r.status === 'rejected').map((r) => r.reason.name);
  expect(losers.filter((n) => n !== 'ConditionalRequestConflict' && n !== 'PreconditionFailed')).toEqual([]);
  expect(await text('lease/race')).toBe(`writer-${won[0]}`);
  const winner = (results[won[0]] as PromiseFulfilledResult<{ ETag?: string }>).value;
  expect((await t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'lease/race' }))).ETag).toBe(winner.ETag);
});

test('a conditional write that waited behind a successful write is 409 ConditionalRequestConflict; a later one 412', async () => {
  const base = await put('lease/slow', 'base');
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  const body = Readable.from(
    (async function* () {
      yield Buffer.from('slow-');
      await gate;
      yield Buffer.from('writer');
    })(),
  );
  const slow = put('lease/slow', body, { IfMatch: base.ETag, ContentLength: 11 });
  await queued('lease/slow', 1); // the slow writer holds the key while its body streams
  const overlapping = put('lease/slow', 'fast-writer', { IfMatch: base.ETag });
  await queued('lease/slow', 2);
  finish();
  await expect(slow).resolves.toMatchObject({ ETag: expect.any(String) });
  await expect(overlapping).rejects.toMatchObject(refusedWith('ConditionalRequestConflict', 409));
  await expect(put('lease/slow', 'late', { IfMatch: base.ETag })).rejects.toMatchObject(refusedWith('PreconditionFailed', 412));
  expect(await text('lease/slow')).toBe('slow-writer');
});

test('DeleteObject with If-Match: 412 on a stale ETag, deletes on the current one or *, 404 when there is no object', async () => {
  const v1 = await put('del/a', 'one');
  const v2 = await put('del/a', 'two');
  const del = (Key: string, IfMatch: string) => t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key, IfMatch }));
  await expect(del('del/a', v1.ETag!)).rejects.toMatchObject(refusedWith('PreconditionFailed', 412));
  expect(await text('del/a')).toBe('two');
  await del('del/a', v2.ETag!);
  await missing('del/a');
  await expect(del('del/a', v2.ETag!)).rejects.toMatchObject(refusedWith('NoSuchKey', 404));
  await expect(del('del/a', '*')).rejects.toMatchObject(refusedWith('NoSuchKey', 404));
  await put('del/b', 'x');
  await del('del/b', '*');
  await missing('del/b');
});

test("DeleteObjects honours each object's ETag and answers per object", async () => {
  const a = await put('multi/a', 'a');
  await put('multi/b', 'b');
  await put('multi/c', 'c');
  const out = await t.s3.send(
    new DeleteObjectsCommand({
      Bucket: BUCKET,
      Delete: { Objects: [{ Key: 'multi/a', ETag: a.ETag }, { Key: 'multi/b', ETag: a.ETag }, { Key: 'multi/c' }, { Key: 'multi/none', ETag: a.ETag }] },
    }),
  );
  expect(out.Deleted?.map((d) => d.Key).sort()).toEqual(['multi/a', 'multi/c']);
  expect(out.Errors?.map((e) => [e.Key, e.Code]).sort()).toEqual([
    ['multi/b', 'PreconditionFailed'],
    ['multi/none', 'NoSuchKey'],
  ]);
  expect(await text('multi/b')).toBe('b');
  await missing('multi/a');
  await missing('multi/c');
  await expect(t.s3.send(new DeleteObjectsCommand({ Bucket: 'no-such-bucket', Delete: { Objects: [{ Key: 'k' }] } }))).rejects.toMatchObject(
    refusedWith('NoSuchBucket', 404),
  );
});

test("CopyObject honours the destination's If-None-Match: *", async () => {
  await put('copy/src', 'source');
  await put('copy/dst', 'already here');
  await expect(t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/dst', CopySource: `${BUCKET}/copy/src`, IfNoneMatch: '*' }))).rejects.toMatchObject(
    refusedWith('PreconditionFailed', 412),
  );
  expect(await text('copy/dst')).toBe('already here');
});

test('GetObject and HeadObject with If-Match: 412 when the ETag differs, the object when it matches', async () => {
  const { ETag } = await put('read/a', 'content');
  expect(await (await t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'read/a', IfMatch: ETag }))).Body!.transformToString()).toBe('content');
  await expect(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'read/a', IfMatch: '"stale"' }))).rejects.toMatchObject(
    refusedWith('PreconditionFailed', 412),
  );
  await expect(t.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'read/a', IfMatch: '"stale"' }))).rejects.toMatchObject({
    $metadata: expect.objectContaining({ httpStatusCode: 412 }),
  });
});

test('conditions the offline cloud does not evaluate are refused with 501 NotImplemented, never ignored', async () => {
  const { ETag } = await put('refuse/a', 'original');
  const notImplemented = refusedWith('NotImplemented', 501);
  await expect(put('refuse/a', 'x', { IfNoneMatch: ETag })).rejects.toMatchObject(notImplemented); // PutObject documents only *
  await expect(put('refuse/a', 'x', { IfMatch: '*' })).rejects.toMatchObject(notImplemented);
  await expect(put('refuse/a', 'x', { IfMatch: ETag, IfNoneMatch: '*' })).rejects.toMatchObject(notImplemented);
  await expect(
    t.s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'refuse/b', CopySource: `${BUCKET}/refuse/a`, CopySourceIfMatch: '"stale"' })),
  ).rejects.toMatchObject(notImplemented);
  await expect(t.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'refuse/a', IfMatchSize: 8 }))).rejects.toMatchObject(notImplemented);
  await expect(t.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'refuse/a', VersionId: 'v1' }] } }))).rejects.toMatchObject(
    notImplemented,
  );
  await expect(t.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'refuse/a', IfUnmodifiedSince: new Date(0) }))).rejects.toMatchObject(notImplemented);
  const { UploadId } = await t.s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'refuse/a' }));
  const part = await t.s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'refuse/a', UploadId, PartNumber: 1, Body: 'replacement' }));
  await expect(
    t.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 'refuse/a',
        UploadId,
        IfNoneMatch: '*',
        MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
      }),
    ),
  ).rejects.toMatchObject(notImplemented);
  expect(await text('refuse/a')).toBe('original');
  await missing('refuse/b');
});
