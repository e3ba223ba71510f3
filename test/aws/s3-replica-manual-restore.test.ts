/**
 * docs/store-format.md promises a person can restore a volume by hand: this runs the page's own Python
 * script on objects fetched from the store (as `aws s3 sync` would lay them out) and compares the bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { buildManifest } from '../../runtime/core/store/format';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { readVolumeBlocks } from '../../runtime/agent/reader';
import { startS3, type TestS3 } from '../helpers/s3rver';
import { makeSourceVolume } from '../agent/fixture';

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startS3();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-restore-'));
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

it('the restore script in docs/store-format.md rebuilds a volume at each checkpoint of a chain', async () => {
  const doc = readFileSync(resolve(__dirname, '../../docs/store-format.md'), 'utf8');
  const script = /```python\n([\s\S]*?)```/.exec(doc)![1];
  writeFileSync(join(dir, 'restore.py'), script);

  const store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client({ agent: true }) });
  const N = 40,
    SIZE = N * BLOCK_SIZE;
  const meta = { sourceVolumeId: 'vol-a', sourceInstanceId: 'i-1', device: '/dev/xvda', sizeBytes: SIZE, snapshotId: 'snap' };
  const v1 = makeSourceVolume(join(dir, 'v1.img'), N);
  const plan = (blocks: number[]) => ({ sourceVolumeId: 'vol-a', snapshotId: 'snap', baseSnapshotId: null, sizeBytes: SIZE, blocks });
  const r1 = await readVolumeBlocks({ devicePath: v1.path, plan: plan([...Array(N).keys()]), store, vpg: 'web', packBytes: 4 << 20 });
  const m1 = buildManifest({
    vpg: 'web',
    syncId: 'sync1',
    createdAt: '2026-11-25T10:00:00Z',
    parentId: null,
    full: true,
    volumes: [meta],
    results: [{ jobId: 'j', packs: r1.packs, volumes: [r1] }],
  });
  await store.commitCheckpoint(m1);
  // the second version overwrites blocks 3-5 and zeroes 6-9
  const v2 = Buffer.from(v1.bytes);
  v2.fill(7, 3 * BLOCK_SIZE, 6 * BLOCK_SIZE);
  v2.fill(0, 6 * BLOCK_SIZE, 10 * BLOCK_SIZE);
  writeFileSync(join(dir, 'v2.img'), v2);
  const r2 = await readVolumeBlocks({ devicePath: join(dir, 'v2.img'), plan: plan([3, 4, 5, 6, 7, 8, 9]), store, vpg: 'web' });
  const m2 = buildManifest({
    vpg: 'web',
    syncId: 'sync2',
    createdAt: '2026-11-25T11:00:00Z',
    parentId: m1.id,
    full: false,
    volumes: [meta],
    results: [{ jobId: 'j', packs: r2.packs, volumes: [r2] }],
  });
  await store.commitCheckpoint(m2);

  // what `aws s3 sync … --exclude '*.summary.json'` leaves on disk
  for (const sub of ['checkpoints', 'packs']) {
    mkdirSync(join(dir, 'store', sub), { recursive: true });
    for await (const key of store.listKeys(`vpgs/web/${sub}/`)) {
      if (!key.endsWith('.summary.json')) writeFileSync(join(dir, 'store', sub, key.split('/').pop()!), (await store.getBytes(key))!);
    }
  }
  const restore = (cp: string, out: string) => execFileSync('python3', [join(dir, 'restore.py'), join(dir, 'store'), cp, 'vol-a', join(dir, out)]).toString();
  expect(restore(m2.id, 'at-m2.raw')).toContain('wrote');
  expect(readFileSync(join(dir, 'at-m2.raw')).equals(v2)).toBe(true);
  restore(m1.id, 'at-m1.raw');
  expect(readFileSync(join(dir, 'at-m1.raw')).equals(v1.bytes)).toBe(true);
});
