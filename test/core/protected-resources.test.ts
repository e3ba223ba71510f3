import type { CheckpointSummary } from '../../runtime/core/store/port';
import { chooseBaseSnapshot, missingInstanceIds, previousGeneration, selectProtectedInstances } from '../../runtime/core/sync/protected-resources';
import type { InstanceInfo, SnapshotInfo } from '../../runtime/core/ports';
import { TAG, tagsFor } from '../../runtime/core/tags';

const inst = (instanceId: string, tags: Record<string, string>, state: InstanceInfo['state'] = 'running'): InstanceInfo => ({
  instanceId,
  state,
  availabilityZone: 'a',
  launchTime: '',
  tags,
  volumes: [],
});

describe('selectProtectedInstances', () => {
  const vpg = { instanceIds: ['i-named'], instanceTags: { app: 'web', tier: 'front' } };

  it('takes named ids and instances carrying every selector tag, running or stopped', () => {
    const picked = selectProtectedInstances(
      [
        inst('i-named', {}),
        inst('i-tagged', { app: 'web', tier: 'front' }, 'stopped'),
        inst('i-half', { app: 'web' }),
        inst('i-dead', { app: 'web', tier: 'front' }, 'terminated'),
        inst('i-tagged', { app: 'web', tier: 'front' }, 'stopped'),
      ],
      vpg,
    );
    expect(picked.map((i) => i.instanceId)).toEqual(['i-named', 'i-tagged']);
  });

  it('never protects Lifeboat’s own instances (anything with ZERTO_TAG), even by id', () => {
    const zsat = inst('i-named', { ...tagsFor('site-a', 'zsat', 'instance'), app: 'web', tier: 'front' });
    const recovered = inst('i-rec', { ...tagsFor('site-a', 'recovered-vm', 'instance'), app: 'web', tier: 'front' });
    expect(selectProtectedInstances([zsat, recovered], vpg)).toEqual([]);
  });

  it('reports named ids that did not resolve', () => {
    expect(missingInstanceIds({ instanceIds: ['i-1', 'i-2'] }, [inst('i-2', {})])).toEqual(['i-1']);
  });
});

describe('chooseBaseSnapshot', () => {
  const ours = tagsFor('site-a', 'sync-snapshot', 'snapshot', { [TAG.vpg]: 'web', [TAG.generation]: '4' });
  const latest: CheckpointSummary = {
    id: 'cp-1',
    createdAt: '',
    parentId: null,
    volumes: [
      {
        sourceVolumeId: 'vol-1',
        sourceInstanceId: 'i-1',
        device: '/dev/xvda',
        sizeBytes: 1,
        snapshotId: 'snap-1',
        blocksChanged: 0,
        blocksRead: 0,
        bytesStored: 0,
      },
    ],
  };
  const snap = (over: Partial<SnapshotInfo> = {}): SnapshotInfo => ({
    snapshotId: 'snap-1',
    volumeId: 'vol-1',
    state: 'completed',
    progress: 100,
    startTime: '',
    volumeSizeGiB: 8,
    tags: ours,
    ...over,
  });
  const choose = (s?: SnapshotInfo, volumeId = 'vol-1', cp: CheckpointSummary | null = latest) =>
    chooseBaseSnapshot(volumeId, cp ?? undefined, new Map(s ? [[s.snapshotId, s]] : []), 'site-a', 'web');

  it('uses the latest checkpoint’s completed, owned snapshot', () => {
    expect(choose(snap())).toEqual({ snapshotId: 'snap-1', reason: 'incremental' });
  });

  it('falls back to a full read, saying why', () => {
    expect(choose(snap(), 'vol-1', null).reason).toMatch(/no committed checkpoint/);
    expect(choose(snap(), 'vol-new').reason).toMatch(/new to checkpoint cp-1/);
    expect(choose(undefined).reason).toMatch(/no longer exists/);
    expect(choose(snap({ state: 'error' })).reason).toMatch(/is error/);
    expect(choose(snap({ tags: { ...ours, Owner: 'site-b' } })).reason).toMatch(/not ours/);
    for (const c of [choose(undefined), choose(snap({ state: 'pending' })), choose(snap({ tags: {} }))]) expect(c.snapshotId).toBeNull();
  });

  it('reads the previous generation from the base snapshots’ tag', () => {
    expect(previousGeneration(latest, new Map([['snap-1', snap()]]), 1)).toBe(4);
    expect(previousGeneration(latest, new Map(), 3)).toBe(3);
    expect(previousGeneration(undefined, new Map(), 0)).toBe(0);
  });
});
