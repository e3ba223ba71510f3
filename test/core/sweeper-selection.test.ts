/** The sweeper's selection: pure rules over plain inventory data. */
import { selectForSweep, testExpired, type SweepScope } from '../../runtime/core/cleanup/sweeper-selection';
import type { InstanceInfo, SnapshotInfo, VolumeInfo } from '../../runtime/core/ports';
import { TAG, tagsFor, type Tags } from '../../runtime/core/tags';

const SITE = 'site-a';
const NOW = new Date('2026-11-25T12:00:00Z');
const HOURS_AGO = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

const scope = (over: Partial<SweepScope> = {}): SweepScope => ({
  siteId: SITE,
  now: NOW,
  graceMinutes: 60,
  activeIds: new Set(),
  keepSnapshotIds: new Set(),
  ...over,
});
const worker = (role: 'zsat' | 'zimporter', kind: 'instance' | 'volume', extra: Tags = {}) =>
  tagsFor(SITE, role, kind, { [TAG.vpg]: 'web', [TAG.syncId]: 's1', ...extra });
const instance = (id: string, tags: Tags, launchTime = HOURS_AGO(3), state: InstanceInfo['state'] = 'running'): InstanceInfo => ({
  instanceId: id,
  state,
  availabilityZone: 'us-east-1a',
  launchTime,
  tags,
  volumes: [],
});
const volume = (id: string, tags: Tags, createTime: string | null = HOURS_AGO(3)): VolumeInfo => ({
  volumeId: id,
  state: 'available',
  sizeGiB: 1,
  availabilityZone: 'us-east-1a',
  snapshotId: null,
  tags,
  attachments: [],
  ...(createTime ? { createTime } : {}),
});
const snapshot = (id: string, tags: Tags, startTime = HOURS_AGO(3)): SnapshotInfo => ({
  snapshotId: id,
  volumeId: 'vol-src',
  state: 'completed',
  progress: 100,
  startTime,
  volumeSizeGiB: 1,
  tags,
});
const syncSnapshotTags = (syncId = 's1') => tagsFor(SITE, 'sync-snapshot', 'snapshot', { [TAG.vpg]: 'web', [TAG.syncId]: syncId });

describe('selectForSweep', () => {
  it('selects old zSAT and ZImporter instances and volumes and unreferenced sync snapshots, grouped by VPG', () => {
    const plan = selectForSweep(
      {
        instances: [instance('i-zsat', worker('zsat', 'instance')), instance('i-imp', worker('zimporter', 'instance', { [TAG.vpg]: 'db' }))],
        volumes: [volume('vol-zsat', worker('zsat', 'volume'))],
        snapshots: [snapshot('snap-old', syncSnapshotTags())],
      },
      scope(),
    );
    expect(plan.byVpg.get('web')).toEqual({ instances: ['i-zsat'], volumes: ['vol-zsat'], snapshots: ['snap-old'], refused: [] });
    expect(plan.byVpg.get('db')?.instances).toEqual(['i-imp']);
    expect(plan.refused).toEqual([]);
  });

  it('keeps what a running execution owns, by sync id or execution tag', () => {
    const plan = selectForSweep(
      {
        instances: [
          instance('i-1', worker('zsat', 'instance', { [TAG.syncId]: 'sActive' })),
          instance('i-2', worker('zimporter', 'instance', { [TAG.syncId]: 'x', [TAG.executionId]: 'arn:exec' })),
        ],
        volumes: [],
        snapshots: [snapshot('snap-1', syncSnapshotTags('sActive'))],
      },
      scope({ activeIds: new Set(['sActive', 'arn:exec']) }),
    );
    expect(plan.byVpg.size).toBe(0);
    expect(plan.kept.map((k) => k.id).sort()).toEqual(['i-1', 'i-2', 'snap-1']);
    expect(plan.kept.every((k) => k.reason === 'its execution is still running')).toBe(true);
  });

  it('keeps resources younger than the grace period and volumes whose age is unknown', () => {
    const plan = selectForSweep(
      {
        instances: [instance('i-young', worker('zsat', 'instance'), HOURS_AGO(0.5))],
        volumes: [volume('vol-unknown', worker('zsat', 'volume'), null)],
        snapshots: [snapshot('snap-young', syncSnapshotTags(), HOURS_AGO(0.9))],
      },
      scope(),
    );
    expect(plan.byVpg.size).toBe(0);
    expect(Object.fromEntries(plan.kept.map((k) => [k.id, k.reason]))).toEqual({
      'i-young': 'younger than 60 minutes',
      'vol-unknown': 'creation time unknown',
      'snap-young': 'younger than 60 minutes',
    });
    expect(
      selectForSweep(
        { instances: [instance('i-young', worker('zsat', 'instance'), HOURS_AGO(0.5))], volumes: [], snapshots: [] },
        scope({ graceMinutes: 0 }),
      ).byVpg.get('web')?.instances,
    ).toEqual(['i-young']);
  });

  it('never selects a base snapshot, nor snapshots of other roles', () => {
    const plan = selectForSweep(
      {
        instances: [],
        volumes: [],
        snapshots: [snapshot('snap-base', syncSnapshotTags()), snapshot('snap-other', tagsFor(SITE, 'recovered-vm', 'volume', { [TAG.vpg]: 'web' }))],
      },
      scope({ keepSnapshotIds: new Set(['snap-base']) }),
    );
    expect(plan.byVpg.size).toBe(0);
    expect(plan.kept.find((k) => k.id === 'snap-base')?.reason).toBe('a base snapshot (the latest checkpoint references it)');
  });

  it("takes a failback's snapshots of its written volumes once their execution is not running (a stopped failback leaves them; found by npm run chaos -- --runs 24)", () => {
    const importerSnapshot = (id: string, executionArn: string) =>
      snapshot(id, tagsFor(SITE, 'zimporter', 'volume', { [TAG.vpg]: 'web', [TAG.executionId]: executionArn, [TAG.checkpoint]: 'cp-1' }));
    const plan = selectForSweep(
      { instances: [], volumes: [], snapshots: [importerSnapshot('snap-stopped', 'arn:fb:stopped'), importerSnapshot('snap-running', 'arn:fb:running')] },
      scope({ graceMinutes: 0, activeIds: new Set(['arn:fb:running']) }),
    );
    expect(plan.byVpg.get('web')?.snapshots).toEqual(['snap-stopped']);
    expect(plan.kept).toEqual([{ id: 'snap-running', reason: 'its execution is still running' }]);
  });

  it('takes test-failback VMs past their expiry, never live recovered VMs or unexpired tests', () => {
    const vm = (id: string, extra: Tags) => instance(id, tagsFor(SITE, 'recovered-vm', 'instance', { [TAG.vpg]: 'web', ...extra }), HOURS_AGO(0.1));
    const plan = selectForSweep(
      {
        instances: [
          vm('i-expired', { [TAG.testExpiresAt]: HOURS_AGO(1) }),
          vm('i-live', {}),
          vm('i-later', { [TAG.testExpiresAt]: new Date(NOW.getTime() + 60_000).toISOString() }),
          vm('i-garbled', { [TAG.testExpiresAt]: 'soon' }),
        ],
        volumes: [volume('vol-expired', tagsFor(SITE, 'recovered-vm', 'volume', { [TAG.vpg]: 'web', [TAG.testExpiresAt]: HOURS_AGO(1) }))],
        snapshots: [],
      },
      scope(),
    );
    expect(plan.byVpg.get('web')).toMatchObject({ instances: ['i-expired'], volumes: ['vol-expired'] });
    expect(plan.kept.map((k) => k.id).sort()).toEqual(['i-garbled', 'i-later', 'i-live']);
  });

  it('refuses look-alikes: another Owner, no Owner, no ZERTO_TAG, no VPG tag', () => {
    const base = worker('zsat', 'instance');
    const plan = selectForSweep(
      {
        instances: [
          instance('i-other', { ...base, [TAG.owner]: 'site-b' }),
          instance('i-none', Object.fromEntries(Object.entries(base).filter(([k]) => k !== TAG.owner))),
          instance('i-nozerto', Object.fromEntries(Object.entries(base).filter(([k]) => k !== TAG.zerto))),
          instance('i-novpg', Object.fromEntries(Object.entries(base).filter(([k]) => k !== TAG.vpg))),
        ],
        volumes: [],
        snapshots: [],
      },
      scope(),
    );
    expect(plan.byVpg.size).toBe(0);
    expect(Object.fromEntries(plan.refused.map((r) => [r.id, r.reason]))).toEqual({
      'i-other': 'Owner is site-b, not site-a',
      'i-none': 'no Owner tag',
      'i-nozerto': 'no ZERTO_TAG',
      'i-novpg': 'no VPG tag',
    });
  });

  it('skips terminated instances and deleted volumes; unknown roles stay', () => {
    const plan = selectForSweep(
      {
        instances: [instance('i-dead', worker('zsat', 'instance'), HOURS_AGO(3), 'terminated')],
        volumes: [
          { ...volume('vol-gone', worker('zsat', 'volume')), state: 'deleting' },
          volume('vol-site', tagsFor(SITE, 'site', 'launch-template', { [TAG.vpg]: 'web' })),
        ],
        snapshots: [],
      },
      scope(),
    );
    expect(plan.byVpg.size).toBe(0);
    expect(plan.kept).toEqual([{ id: 'vol-site', reason: 'role site is not swept' }]);
  });
});

describe('testExpired', () => {
  it('reads the expiry tag as a time', () => {
    expect(testExpired({ [TAG.testExpiresAt]: '2026-11-25T11:59:59Z' }, NOW)).toBe(true);
    expect(testExpired({ [TAG.testExpiresAt]: '2026-11-25T12:00:01Z' }, NOW)).toBe(false);
    expect(testExpired({}, NOW)).toBe(false);
  });
});
