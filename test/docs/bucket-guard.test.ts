/** docs/security.md's copy of the protected-side Deny statements, for a bucket the config names, stays equal to the code's. */
import fs from 'node:fs';
import path from 'node:path';
import { protectedSideDenyJson } from '../../lib/replica-bucket-guard';

const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/security.md'), 'utf8');

it('docs/security.md lists the statements lib/replica-bucket-guard.ts puts in the bucket policy', () => {
  const block = doc.split('<!-- bucket-guard:start -->')[1]?.split('<!-- bucket-guard:end -->')[0] ?? '';
  const json = /```json\n([\s\S]*?)\n```/.exec(block)?.[1] ?? 'null';
  expect(JSON.parse(json)).toEqual(protectedSideDenyJson('amzn-s3-demo-bucket', 'my-site'));
});
