/** S3 semantics Lifeboat relies on: a reader never sees a half-written object, even while it is rewritten. */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig, startTestCloud, type TestCloud } from '../src/testing';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: 'atomic' }));
});
afterAll(() => t.stop());

const body = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(1000 + ((n * 7919) % 200_000)) });
const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;

it("a GET racing PUTs of the same key always returns one complete version, with that version's ETag", async () => {
  const key = 'progress.json';
  await t.s3.send(new PutObjectCommand({ Bucket: 'atomic', Key: key, Body: body(0) }));
  let writing = true;
  const writer = (async () => {
    for (let n = 1; n <= 120; n++) await t.s3.send(new PutObjectCommand({ Bucket: 'atomic', Key: key, Body: body(n) }));
    writing = false;
  })();
  const seen = new Set<number>();
  const wrongEtags: number[] = [];
  // three readers: a lease is read with its ETag and written back with If-Match, so the ETag must be the body's
  const readers = [1, 2, 3].map(async () => {
    while (writing) {
      const got = await t.s3.send(new GetObjectCommand({ Bucket: 'atomic', Key: key }));
      const text = await got.Body!.transformToString();
      const parsed = JSON.parse(text) as { n: number; pad: string };
      expect(text).toBe(body(parsed.n));
      if (got.ETag !== md5(text)) wrongEtags.push(parsed.n);
      seen.add(parsed.n);
    }
  });
  await Promise.all([writer, ...readers]);
  expect(wrongEtags).toEqual([]);
  expect(seen.size).toBeGreaterThan(1);
});

it('DELETEs and PUTs racing in one folder all succeed (s3rver removed a folder it saw empty under its neighbours)', async () => {
  const folders = Array.from({ length: 20 }, (_, i) => `shared/f-${i}`);
  for (const f of folders) for (const name of ['a', 'b']) await t.s3.send(new PutObjectCommand({ Bucket: 'atomic', Key: `${f}/${name}`, Body: name }));
  // per folder: its last two objects deleted while a new one is written into it; no retries, which hid the 500s
  const once = new S3Client({ ...clientConfig(t.url, { maxAttempts: 1 }), forcePathStyle: true });
  const results = await Promise.allSettled(
    folders.flatMap((f) => [
      once.send(new DeleteObjectCommand({ Bucket: 'atomic', Key: `${f}/a` })),
      once.send(new DeleteObjectCommand({ Bucket: 'atomic', Key: `${f}/b` })),
      once.send(new PutObjectCommand({ Bucket: 'atomic', Key: `${f}/c`, Body: 'c' })),
    ]),
  );
  once.destroy();
  expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
  const listed = await t.s3.send(new ListObjectsV2Command({ Bucket: 'atomic', Prefix: 'shared/' }));
  expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(folders.map((f) => `${f}/c`).sort());
});
