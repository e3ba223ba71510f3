/** S3 semantics Lifeboat relies on: a reader never sees a half-written object, even while it is rewritten. */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { startTestCloud, type TestCloud } from '../helpers/cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: 'atomic' }));
});
afterAll(() => t.stop());

const body = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(1000 + ((n * 7919) % 200_000)) });
const md5 = (text: string) => `"${createHash('md5').update(text).digest('hex')}"`;

it('a GET racing PUTs of the same key always returns one complete version, with that version\'s ETag', async () => {
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
