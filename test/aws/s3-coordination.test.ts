/**
 * The lease and reader records over the offline cloud's S3, through the real SDK: conditional writes decide who
 * holds a lease (S3 evaluates If-None-Match / If-Match atomically), reader records, gc notes, working sets.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import { acquireLease, enterStep, releaseLease, type LeaseDeps } from '../../runtime/core/lease/lease-guard';
import { readerRecord } from '../../runtime/core/store/readers';
import { MemoryLog } from '../steps/fakes';
import { startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';

let t: TestCloud;
let c: S3Coordination;
const BUCKET = 'coordination-test';

beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  c = new S3Coordination(BUCKET, t.s3);
});
afterAll(() => t.stop());

const deps = (running: Set<string>): LeaseDeps => ({
  lease: c,
  executions: { state: async (arn) => (running.has(arn) ? 'running' : 'ended') },
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  log: new MemoryLog(),
});

describe('S3Coordination', () => {
  it('a replace with a stale ETag, or of a lease that is gone, loses (false), never overwrites', async () => {
    const lease = {
      format: 1 as const,
      vpg: 'a',
      token: 1,
      holder: null,
      delegate: null,
      acquiredAt: '',
      renewedAt: '',
      expiresAt: new Date().toISOString(),
      steps: {},
    };
    expect(await c.createLease('a', lease)).toBe(true);
    expect(await c.createLease('a', { ...lease, token: 9 })).toBe(false);
    const read = (await c.readLease('a'))!;
    expect(await c.replaceLease('a', { ...lease, token: 2 }, read.etag)).toBe(true);
    expect(await c.replaceLease('a', { ...lease, token: 3 }, read.etag)).toBe(false);
    expect(((await c.readLease('a'))!.value as { token: number }).token).toBe(2);
    expect(await c.replaceLease('never', lease, read.etag)).toBe(false);
  });

  it('eight syncs racing for one lease: exactly one holds it, with token 1', async () => {
    const arns = Array.from({ length: 8 }, (_, i) => `arn:aws:states:us-east-1:0:execution:m:race-${i}`);
    const d = deps(new Set(arns));
    const results = await Promise.all(arns.map((executionArn) => acquireLease(d, 'race', { executionArn, kind: 'sync' }, 600)));
    expect(results.filter((r) => r.held)).toHaveLength(1);
    const winner = arns[results.findIndex((r) => r.held)];
    expect((await c.readLease('race'))!.value).toMatchObject({ token: 1, holder: { executionArn: winner } });
    // parallel steps of the winner all get in; a loser's step is refused
    await Promise.all(['s1', 's2', 's3'].map((id) => enterStep(d, 'race', winner, 1, id, 600)));
    expect(Object.keys(((await c.readLease('race'))!.value as { steps: object }).steps).sort()).toEqual(['s1', 's2', 's3']);
    const loser = arns.find((a) => a !== winner)!;
    await expect(enterStep(d, 'race', loser, 1, 'x', 600)).rejects.toMatchObject({ name: 'LeaseLost' });
    expect(await releaseLease(d, 'race', winner)).toBe(true);
  });

  it('lists reader records, counts a malformed one as unreadable, ignores a stray name', async () => {
    const now = new Date();
    await c.putReader('r', readerRecord({ id: 'fb-1', kind: 'failback', state: 'reading', checkpointId: 'cp-1', now, horizonSeconds: 60 }));
    await c.putReleased('r', { format: 1, sourceId: 'vol-1', releasedAt: now.toISOString() });
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'vpgs/r/readers/broken.json', Body: '{"format": 1' }));
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'vpgs/r/readers/notes (copy).txt', Body: 'hi' }));
    const listing = await c.listReaders('r');
    expect(listing.readers.map((r) => r.id)).toEqual(['fb-1']);
    expect(listing.unreadable.map((u) => u.key)).toEqual(['vpgs/r/readers/broken.json']);
    await c.deleteReader('r', 'fb-1');
    expect((await c.listReaders('r')).readers).toEqual([]);
    expect((await c.releasedSources('r')).map((r) => r.sourceId)).toEqual(['vol-1']);
  });

  it('gc notes are create-only and listed; working sets carry their newest time and the execution their jobs name', async () => {
    await c.putGcNote('g', 'sAbc');
    await c.putGcNote('g', 'sAbc');
    expect(await c.gcNotes('g')).toEqual(['sAbc']);
    await c.deleteGcNote('g', 'sAbc');
    expect(await c.gcNotes('g')).toEqual([]);
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'vpgs/g/syncs/sAbc/jobs/j.json', Body: JSON.stringify({ executionId: 'arn:x' }) }));
    await t.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'vpgs/g/imports/drill-1/progress/p.json', Body: '{}' }));
    const sets = await c.workingSets('g');
    expect(sets.map((s) => `${s.kind}/${s.id}`).sort()).toEqual(['import/drill-1', 'sync/sAbc']);
    expect(await c.workingJobExecutions('g', 'sAbc')).toEqual(['arn:x']);
  });
});
