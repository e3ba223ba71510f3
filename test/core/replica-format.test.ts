import { BLOCK_SIZE, ZERO_BLOCK, type AgentResult } from '../../runtime/core/workers/agent-job';
import {
  buildManifest,
  checkpointIdFor,
  checkpointIdFromKey,
  checkpointKey,
  checkpointSummaryKey,
  checkpointTimeFromId,
  importResultKey,
  packIdFromIndexKey,
  packIndexKey,
  packKey,
  parseS3Url,
  planKey,
  relativePackKey,
  summarize,
  syncJobKey,
  syncProgressKey,
  syncResultKey,
  vpgPrefix,
  type VolumeMeta,
} from '../../runtime/core/store/format';

const PACK = 'ab'.repeat(32);
const H = (n: number) => n.toString(16).padStart(64, '0');

describe('store keys', () => {
  it('lays every object under vpgs/<vpg>/', () => {
    expect(packKey('web', PACK)).toBe(`vpgs/web/packs/${PACK}.pack`);
    expect(packIndexKey('web', PACK)).toBe(`vpgs/web/packs/${PACK}.idx.json`);
    expect(relativePackKey(PACK)).toBe(`packs/${PACK}.pack`);
    expect(checkpointKey('web', 'cp-1')).toBe('vpgs/web/checkpoints/cp-1.json');
    expect(checkpointSummaryKey('web', 'cp-1')).toBe('vpgs/web/checkpoints/cp-1.summary.json');
    expect(planKey('web', 'sync-1', 'vol-1')).toBe('vpgs/web/syncs/sync-1/plans/vol-1.json');
    expect(syncJobKey('web', 'sync-1', 'job-0')).toBe('vpgs/web/syncs/sync-1/jobs/job-0.json');
    expect(syncProgressKey('web', 'sync-1', 'job-0')).toBe('vpgs/web/syncs/sync-1/progress/job-0.json');
    expect(syncResultKey('web', 'sync-1', 'job-0')).toBe('vpgs/web/syncs/sync-1/results/job-0.json');
    expect(importResultKey('web', 'exec-9', 'job-0')).toBe('vpgs/web/imports/exec-9/results/job-0.json');
  });

  it('refuses names that would escape their prefix, and malformed pack ids', () => {
    expect(() => packKey('a/b', PACK)).toThrow(/VPG name/);
    expect(() => planKey('web', '..', 'vol-1')).toThrow(/sync id/);
    expect(() => planKey('web', 's', '../x')).toThrow(/volume id/);
    expect(() => packKey('web', 'ABC')).toThrow(/pack id/);
  });

  it("takes VPG names by the config's rule (runtime/core/names.ts): a name the config refuses has no prefix", () => {
    for (const name of ['web-', '-web', 'Web', 'web_1', 'web.1', 'x'.repeat(33)]) expect(() => vpgPrefix(name)).toThrow(/invalid VPG name/);
    expect(() => vpgPrefix('web-')).toThrow(`invalid VPG name "web-": it ends with '-'`);
    expect(vpgPrefix('a--b')).toBe('vpgs/a--b/');
    expect(vpgPrefix('x'.repeat(32))).toBe(`vpgs/${'x'.repeat(32)}/`);
  });

  it('parses keys back', () => {
    expect(packIdFromIndexKey(packIndexKey('web', PACK))).toBe(PACK);
    expect(packIdFromIndexKey(packKey('web', PACK))).toBeNull();
    expect(checkpointIdFromKey(checkpointKey('web', 'cp-20261125T153000Z-abc'))).toBe('cp-20261125T153000Z-abc');
    expect(checkpointIdFromKey(checkpointSummaryKey('web', 'cp-1'))).toBeNull();
    expect(parseS3Url('s3://my-bucket/vpgs/web/syncs/s/jobs/j.json')).toEqual({ bucket: 'my-bucket', key: 'vpgs/web/syncs/s/jobs/j.json' });
    expect(() => parseS3Url('https://x/y')).toThrow(/s3:\/\//);
  });
});

describe('checkpoint ids', () => {
  it('encode the time and a short sync id, and sort as their times do', () => {
    const id = checkpointIdFor('2026-11-25T15:30:00.123Z', 'arn:aws:states:us-east-1:1:execution:sm:Run-7f3A9c21');
    expect(id).toBe('cp-20261125T153000Z-7f3a9c21');
    expect(checkpointTimeFromId(id)).toBe('2026-11-25T15:30:00.000Z');
    const times = ['2027-01-02T00:00:00Z', '2026-12-31T23:59:59Z', '2026-02-03T04:05:06Z', '2026-12-31T23:59:58Z'];
    const ids = times.map((t) => checkpointIdFor(t, 'sync'));
    expect([...ids].sort()).toEqual([...times].sort().map((t) => checkpointIdFor(t, 'sync')));
    expect(() => checkpointIdFor('not a time', 's')).toThrow(/invalid checkpoint time/);
  });
});

describe('buildManifest', () => {
  const meta = (id: string, sizeBlocks: number): VolumeMeta => ({
    sourceVolumeId: id,
    sourceInstanceId: 'i-1',
    device: '/dev/xvda',
    sizeBytes: sizeBlocks * BLOCK_SIZE,
    snapshotId: `snap-${id}`,
  });
  const result = (jobId: string, volumes: AgentResult['volumes']): AgentResult => ({ jobId, volumes, packs: [] });

  it("merges the jobs' results per volume with their counts", () => {
    const m = buildManifest({
      vpg: 'web',
      syncId: 'sync-00000001',
      createdAt: '2026-11-25T15:30:00Z',
      parentId: 'cp-parent',
      full: false,
      volumes: [meta('vol-a', 8), meta('vol-b', 4), meta('vol-c', 4)],
      results: [
        result('j0', [{ sourceVolumeId: 'vol-a', blocks: { 0: H(1), 5: ZERO_BLOCK }, blocksRead: 2, bytesRead: 2 * BLOCK_SIZE, bytesStored: BLOCK_SIZE }]),
        result('j1', [{ sourceVolumeId: 'vol-b', blocks: { 3: H(2) }, blocksRead: 1, bytesRead: BLOCK_SIZE, bytesStored: 0 }]),
      ],
    });
    expect(m).toMatchObject({
      format: 1,
      id: 'cp-20261125T153000Z-00000001',
      vpg: 'web',
      parentId: 'cp-parent',
      full: false,
      createdAt: '2026-11-25T15:30:00.000Z',
    });
    expect(m.volumes.map((v) => [v.sourceVolumeId, v.blocksChanged, v.blocksRead, v.bytesStored])).toEqual([
      ['vol-a', 2, 2, BLOCK_SIZE],
      ['vol-b', 1, 1, 0],
      ['vol-c', 0, 0, 0],
    ]);
    expect(m.volumes[0].blocks).toEqual({ 0: H(1), 5: ZERO_BLOCK });
    expect(summarize(m).volumes[0]).not.toHaveProperty('blocks');
  });

  it('a full manifest has no parent; inconsistent results are refused', () => {
    const base = { vpg: 'web', syncId: 's', createdAt: '2026-11-25T15:30:00Z', parentId: 'x', full: true, volumes: [meta('vol-a', 2)] };
    expect(buildManifest({ ...base, results: [] }).parentId).toBeNull();
    const read = { sourceVolumeId: 'vol-a', blocks: {}, blocksRead: 0, bytesRead: 0, bytesStored: 0 };
    expect(() => buildManifest({ ...base, results: [result('a', [read]), result('b', [read])] })).toThrow(/more than one job/);
    expect(() => buildManifest({ ...base, results: [result('a', [{ ...read, sourceVolumeId: 'vol-x' }])] })).toThrow(/not in this sync/);
    expect(() => buildManifest({ ...base, results: [result('a', [{ ...read, blocks: { 2: H(1) } }])] })).toThrow(/beyond/);
  });
});
