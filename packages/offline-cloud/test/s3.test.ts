/**
 * S3 behind the offline cloud's edge (s3rver), exercised with the real @aws-sdk/client-s3, path-style.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { startTestCloud, TestCloud } from '../src/testing';

const BUCKET = 'replica-store';
const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');

let t: TestCloud;
let s3: S3Client;

beforeAll(async () => {
  t = await startTestCloud();
  s3 = t.s3;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(() => t.stop());

async function getBytes(key: string, extra: Partial<{ Range: string }> = {}): Promise<Buffer> {
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ...extra }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

function rawRequest(path: string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a bucket shows in ListBuckets', async () => {
  const listed = await s3.send(new ListBucketsCommand({}));
  expect(listed.Buckets?.map((b) => b.Name)).toContain(BUCKET);
});

test('PutObject/GetObject round-trips 20 MiB of binary data byte for byte', async () => {
  const data = randomBytes(20 * 1024 * 1024);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'packs/big.pack', Body: data }));
  const back = await getBytes('packs/big.pack');
  expect(back.length).toBe(data.length);
  expect(sha(back)).toBe(sha(data));
});

test('a streamed upload (aws-chunked with a trailing checksum) stores only the payload', async () => {
  const parts = [randomBytes(70_000), randomBytes(1), randomBytes(300_000)];
  const whole = Buffer.concat(parts);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin', Body: Readable.from(parts), ContentLength: whole.length }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'streamed.bin' }));
  expect(head.ContentLength).toBe(whole.length);
  expect(head.ContentEncoding).toBeUndefined();
  expect(sha(await getBytes('streamed.bin'))).toBe(sha(whole));
});

test('HeadObject reports size, ETag (MD5) and user metadata; ranged GET returns the slice', async () => {
  const body = Buffer.from('0123456789abcdef');
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'head/me', Body: body, Metadata: { generation: '7' } }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'head/me' }));
  expect(head.ContentLength).toBe(16);
  expect(head.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
  expect(head.Metadata).toEqual({ generation: '7' });
  expect((await getBytes('head/me', { Range: 'bytes=4-7' })).toString()).toBe('4567');
  await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'head/missing' }))).rejects.toMatchObject({
    $metadata: { httpStatusCode: 404 },
  });
});

test('ListObjectsV2 filters by prefix and pages with continuation tokens', async () => {
  const keys = [
    'manifests/vpg-a/0001.json',
    'manifests/vpg-a/0002.json',
    'manifests/vpg-a/0003.json',
    'manifests/vpg-a/0004.json',
    'manifests/vpg-a/0005.json',
  ];
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'manifests/vpg-b/0001.json', Body: 'b' }));
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'manifests/vpg-a/', MaxKeys: 2, ContinuationToken: token }));
    pages++;
    seen.push(...(page.Contents ?? []).map((o) => o.Key!));
    expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  expect(seen).toEqual(keys);
  expect(pages).toBe(3);
  const grouped = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'manifests/', Delimiter: '/' }));
  expect(grouped.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['manifests/vpg-a/', 'manifests/vpg-b/']);
});

test('DeleteObject and DeleteObjects remove objects', async () => {
  for (const Key of ['del/1', 'del/2', 'del/3']) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
  await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'del/1' }));
  const multi = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'del/2' }, { Key: 'del/3' }] } }));
  expect(multi.Deleted?.map((d) => d.Key).sort()).toEqual(['del/2', 'del/3']);
  const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'del/' }));
  expect(left.KeyCount).toBe(0);
});

test('multipart upload assembles the parts in order', async () => {
  const part1 = randomBytes(5 * 1024 * 1024);
  const part2 = randomBytes(123_457);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mp/object' }));
  const etags: string[] = [];
  for (const [i, Body] of [part1, part2].entries()) {
    const up = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'mp/object', UploadId, PartNumber: i + 1, Body }));
    etags.push(up.ETag!);
  }
  const done = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: BUCKET,
      Key: 'mp/object',
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
  expect(done.ETag).toMatch(/^"[0-9a-f]+(-2)?"$/); // s3rver omits the -N part-count suffix real S3 adds
  expect(sha(await getBytes('mp/object'))).toBe(sha(Buffer.concat([part1, part2])));
});

test('CopyObject duplicates an object', async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy/src', Body: 'original' }));
  await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/dst', CopySource: `${BUCKET}/copy/src` }));
  expect((await getBytes('copy/dst')).toString()).toBe('original');
});

test('conditional GET with a matching If-None-Match answers 304', async () => {
  const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cond/get', Body: 'v1' }));
  await expect(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond/get', IfNoneMatch: put.ETag }))).rejects.toMatchObject({
    $metadata: { httpStatusCode: 304 },
  });
  const other = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'cond/get', IfNoneMatch: '"not-it"' }));
  expect(await other.Body!.transformToString()).toBe('v1');
});

test('create-only PUT (If-None-Match: *) writes once, then fails with 412 PreconditionFailed', async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locks/vpg-a', Body: 'holder-1', IfNoneMatch: '*' }));
  await expect(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locks/vpg-a', Body: 'holder-2', IfNoneMatch: '*' }))).rejects.toMatchObject({
    name: 'PreconditionFailed',
    $metadata: { httpStatusCode: 412 },
  });
  expect((await getBytes('locks/vpg-a')).toString()).toBe('holder-1');
});

test('concurrent create-only PUTs of one key: exactly one wins, the others are refused', async () => {
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locks/race', Body: `writer-${i}`, IfNoneMatch: '*' }))),
  );
  const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
  expect(won).toHaveLength(1);
  // 409 for a writer that overlapped the winner (AWS's "conflicting operation"), 412 for one that came after it
  const losers = results.filter((r) => r.status === 'rejected').map((r) => r.reason.name);
  expect(losers.filter((n) => n !== 'ConditionalRequestConflict' && n !== 'PreconditionFailed')).toEqual([]);
  expect((await getBytes('locks/race')).toString()).toBe(`writer-${won[0]}`);
});

test('versioning: never enabled answers no status; enabling it is kept on the bucket record, not sent on as CreateBucket', async () => {
  const status = await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }));
  expect(status.Status).toBeUndefined();
  await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }))).Status).toBe('Enabled');
  // and the bucket (with its objects) is still there: the request did not fall through to CreateBucket
  expect((await getBytes('head/me')).length).toBe(16);
});

test('ListObjectsV2 with StartAfter, and a foreign continuation token is refused', async () => {
  const after = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'manifests/vpg-a/', StartAfter: 'manifests/vpg-a/0003.json' }));
  expect(after.Contents?.map((o) => o.Key)).toEqual(['manifests/vpg-a/0004.json', 'manifests/vpg-a/0005.json']);
  expect(after.IsTruncated).toBe(false);
  await expect(s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: Buffer.from('garbage').toString('base64') }))).rejects.toMatchObject({
    name: 'InvalidArgument',
    $metadata: { httpStatusCode: 400 },
  });
});

test('an unsigned request with any Host header reaches S3 path-style (no vhost misrouting)', async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'plain/readme.txt', Body: 'hello' }));
  const { port } = new URL(t.url);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `replica-store.workstation.example:${port}`]) {
    const res = await rawRequest(`/${BUCKET}/plain/readme.txt`, { host });
    expect({ host, status: res.status, body: res.body.toString() }).toEqual({ host, status: 200, body: 'hello' });
  }
});
