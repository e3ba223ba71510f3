import { ownershipRefusal, selectAfterCommit, selectAfterFailure, type CleanupInventory } from '../../runtime/core/cleanup/cleanup-selection';
import type { InstanceInfo, SnapshotInfo, VolumeInfo } from '../../runtime/core/ports';
import { TAG, tagsFor, type Tags } from '../../runtime/core/tags';

const SITE = 'site-a';
const ours = (role: 'zsat' | 'sync-snapshot', kind: 'instance' | 'volume' | 'snapshot', syncId: string, extra: Tags = {}) =>
  tagsFor(SITE, role, kind, { [TAG.vpg]: 'web', [TAG.syncId]: syncId, ...extra });

const snap = (snapshotId: string, tags: Tags): SnapshotInfo => ({
  snapshotId,
  volumeId: 'vol-src',
  state: 'completed',
  progress: 100,
  startTime: '',
  volumeSizeGiB: 8,
  tags,
});
const inst = (instanceId: string, tags: Tags, state: InstanceInfo['state'] = 'running'): InstanceInfo => ({
  instanceId,
  state,
  availabilityZone: 'a',
  launchTime: '',
  tags,
  volumes: [],
});
const vol = (volumeId: string, tags: Tags): VolumeInfo => ({
  volumeId,
  state: 'available',
  sizeGiB: 8,
  availabilityZone: 'a',
  snapshotId: null,
  tags,
  attachments: [],
});

const scope = { siteId: SITE, vpg: 'web', activeSyncIds: new Set(['s-running']), keepSnapshotIds: new Set(['snap-new']) };

describe('ownershipRefusal', () => {
  it('names why a resource is not ours', () => {
    expect(ownershipRefusal(ours('zsat', 'instance', 's1'), scope)).toBeNull();
    expect(ownershipRefusal({ ...ours('zsat', 'instance', 's1'), [TAG.owner]: 'site-b' }, scope)).toMatch(/Owner is site-b/);
    const noOwner = ours('zsat', 'instance', 's1');
    delete noOwner[TAG.owner];
    expect(ownershipRefusal(noOwner, scope)).toBe('no Owner tag');
    const noZerto = ours('zsat', 'instance', 's1');
    delete noZerto[TAG.zerto];
    expect(ownershipRefusal(noZerto, scope)).toBe('no ZERTO_TAG');
    expect(ownershipRefusal({ ...ours('zsat', 'instance', 's1'), [TAG.vpg]: 'db' }, scope)).toMatch(/VPG db/);
  });
});

describe('selectAfterCommit', () => {
  const noOwner = ours('zsat', 'volume', 's-old');
  delete noOwner[TAG.owner];
  const inventory: CleanupInventory = {
    snapshots: [
      snap('snap-parent', ours('sync-snapshot', 'snapshot', 's-prev')),
      snap('snap-older', ours('sync-snapshot', 'snapshot', 's-older')),
      snap('snap-new', ours('sync-snapshot', 'snapshot', 's-this')),
      snap('snap-running', ours('sync-snapshot', 'snapshot', 's-running')),
      snap('snap-foreign', { ...ours('sync-snapshot', 'snapshot', 's-prev'), [TAG.owner]: 'site-b' }),
      snap('snap-other-vpg', { ...ours('sync-snapshot', 'snapshot', 's-prev'), [TAG.vpg]: 'db' }),
      snap('snap-person', { [TAG.vpg]: 'web', Name: 'my backup' }),
    ],
    instances: [
      inst('i-this', ours('zsat', 'instance', 's-this')),
      inst('i-leftover', ours('zsat', 'instance', 's-older')),
      inst('i-gone', ours('zsat', 'instance', 's-older'), 'terminated'),
      inst('i-running-sync', ours('zsat', 'instance', 's-running')),
      inst('i-foreign', { ...ours('zsat', 'instance', 's-this'), [TAG.owner]: 'site-b' }),
      inst('i-protected', { app: 'web', [TAG.vpg]: 'web' }),
    ],
    volumes: [vol('vol-this', ours('zsat', 'volume', 's-this')), vol('vol-noowner', noOwner), vol('vol-running', ours('zsat', 'volume', 's-running'))],
  };

  const selection = selectAfterCommit(inventory, scope, ['snap-parent']);

  it('deletes the previous generation and older sync snapshots, never the new one or a running sync’s', () => {
    expect(selection.snapshots).toEqual(['snap-older', 'snap-parent']);
  });

  it('terminates every zSAT of the VPG except a running sync’s, and skips terminated ones', () => {
    expect(selection.instances).toEqual(['i-leftover', 'i-this']);
    expect(selection.volumes).toEqual(['vol-this']);
  });

  it('refuses foreign Owner, missing Owner and other VPG; ignores what is not a Lifeboat role', () => {
    expect(selection.refused.map((r) => r.id).sort()).toEqual(['i-foreign', 'snap-foreign', 'snap-other-vpg', 'vol-noowner']);
    const all = [...selection.snapshots, ...selection.instances, ...selection.volumes];
    for (const id of ['snap-person', 'i-protected', 'snap-foreign', 'i-foreign', 'vol-noowner', 'snap-other-vpg']) expect(all).not.toContain(id);
  });

  it('refuses a parent snapshot named explicitly when it is not ours', () => {
    const s = selectAfterCommit({ snapshots: [snap('snap-p', { Owner: 'someone' })], instances: [], volumes: [] }, scope, ['snap-p']);
    expect(s.snapshots).toEqual([]);
    expect(s.refused).toEqual([{ id: 'snap-p', reason: 'Owner is someone, not site-a' }]);
  });
});

describe('selectAfterFailure', () => {
  it('deletes only this sync’s resources and keeps kept snapshots', () => {
    const inventory: CleanupInventory = {
      snapshots: [
        snap('snap-mine', ours('sync-snapshot', 'snapshot', 's-fail')),
        snap('snap-committed', ours('sync-snapshot', 'snapshot', 's-fail')),
        snap('snap-base', ours('sync-snapshot', 'snapshot', 's-prev')),
      ],
      instances: [inst('i-mine', ours('zsat', 'instance', 's-fail')), inst('i-other', ours('zsat', 'instance', 's-prev'))],
      volumes: [vol('vol-mine', ours('zsat', 'volume', 's-fail')), vol('vol-foreign', { ...ours('zsat', 'volume', 's-fail'), [TAG.owner]: 'x' })],
    };
    const s = selectAfterFailure(inventory, { ...scope, keepSnapshotIds: new Set(['snap-committed', 'snap-base']) }, 's-fail');
    expect(s.snapshots).toEqual(['snap-mine']);
    expect(s.instances).toEqual(['i-mine']);
    expect(s.volumes).toEqual(['vol-mine']);
    expect(s.refused.map((r) => r.id)).toEqual(['vol-foreign']);
  });
});
