/** S3 semantics Lifeboat relies on: a reader never sees a half-written object, even while it is rewritten. */
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { startTestCloud, type TestCloud } from '../helpers/cloud';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: 'atomic' }));
});
afterAll(() => t.stop());

const body = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(1000 + ((n * 7919) % 200_000)) });

it('a GET racing PUTs of the same key always returns one complete version', async () => {
  const key = 'progress.json';
  await t.s3.send(new PutObjectCommand({ Bucket: 'atomic', Key: key, Body: body(0) }));
  let writing = true;
  const writer = (async () => {
    for (let n = 1; n <= 60; n++) await t.s3.send(new PutObjectCommand({ Bucket: 'atomic', Key: key, Body: body(n) }));
    writing = false;
  })();
  const seen = new Set<number>();
  while (writing) {
    const got = await t.s3.send(new GetObjectCommand({ Bucket: 'atomic', Key: key }));
    const text = await got.Body!.transformToString();
    const parsed = JSON.parse(text) as { n: number; pad: string };
    expect(text).toBe(body(parsed.n));
    seen.add(parsed.n);
  }
  await writer;
  expect(seen.size).toBeGreaterThan(1);
});
