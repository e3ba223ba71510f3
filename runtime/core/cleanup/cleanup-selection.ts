/**
 * What a cleanup may delete, decided on plain data. Ownership is a security boundary: a candidate without
 * our Owner, a ZERTO_TAG and our VPG tag is refused (and reported), whatever else it looks like; resources
 * of a sync that is still running are never touched.
 */
import type { InstanceInfo, SnapshotInfo, VolumeInfo } from '../ports';
import { isOurs, TAG, type Tags } from '../tags';

export interface CleanupInventory {
  readonly snapshots: readonly SnapshotInfo[];
  readonly instances: readonly InstanceInfo[];
  readonly volumes: readonly VolumeInfo[];
}

export interface Refusal {
  readonly id: string;
  readonly reason: string;
}

export interface CleanupSelection {
  readonly snapshots: string[];
  readonly instances: string[];
  readonly volumes: string[];
  readonly refused: Refusal[];
}

export interface CleanupScope {
  readonly siteId: string;
  readonly vpg: string;
  /** Sync ids of other executions still running: their resources are theirs to clean. */
  readonly activeSyncIds: ReadonlySet<string>;
  /** Snapshots that must survive (a committed checkpoint's, a base). */
  readonly keepSnapshotIds: ReadonlySet<string>;
  /**
   * Sync ids proven to be this VPG's own executions' (runtime/core/cleanup/execution-proof.ts). When given, a leftover of
   * another sync id is refused as a possible look-alike (resources named by a committed manifest need no proof).
   */
  readonly provenSyncIds?: ReadonlySet<string>;
}

/** Why a resource with these tags must not be touched, or null when it may. */
export function ownershipRefusal(tags: Tags, scope: Pick<CleanupScope, 'siteId' | 'vpg'>): string | null {
  if (tags[TAG.owner] === undefined) return 'no Owner tag';
  if (tags[TAG.owner] !== scope.siteId) return `Owner is ${tags[TAG.owner]}, not ${scope.siteId}`;
  if (!tags[TAG.zerto]) return 'no ZERTO_TAG';
  if (tags[TAG.vpg] !== scope.vpg) return `belongs to VPG ${tags[TAG.vpg] ?? '(none)'}, not ${scope.vpg}`;
  return isOurs(tags, scope.siteId, scope.vpg) ? null : 'not ours';
}

type Filterable = { id: string; tags: Tags };

function partition(candidates: readonly Filterable[], scope: CleanupScope, refused: Refusal[], named: ReadonlySet<string> = new Set()): string[] {
  const chosen: string[] = [];
  for (const c of candidates) {
    const refusal = ownershipRefusal(c.tags, scope);
    if (refusal) {
      refused.push({ id: c.id, reason: refusal });
      continue;
    }
    const syncId = c.tags[TAG.syncId];
    if (syncId !== undefined && scope.activeSyncIds.has(syncId)) continue;
    if (scope.provenSyncIds && !named.has(c.id) && !(syncId !== undefined && scope.provenSyncIds.has(syncId))) {
      refused.push({ id: c.id, reason: `sync id ${syncId ?? '(none)'} is not proven to be one of VPG ${scope.vpg}'s executions: a possible look-alike` });
      continue;
    }
    chosen.push(c.id);
  }
  return [...new Set(chosen)].sort();
}

const isZsat = (tags: Tags) => tags[TAG.role] === 'zsat';
const isSyncSnapshot = (tags: Tags) => tags[TAG.role] === 'sync-snapshot';

function zsatResources(inventory: CleanupInventory, syncId?: string) {
  const inSync = (tags: Tags) => syncId === undefined || tags[TAG.syncId] === syncId;
  return {
    instances: inventory.instances.filter((i) => i.state !== 'terminated' && isZsat(i.tags) && inSync(i.tags)).map((i) => ({ id: i.instanceId, tags: i.tags })),
    volumes: inventory.volumes
      .filter((v) => v.state !== 'deleted' && v.state !== 'deleting' && isZsat(v.tags) && inSync(v.tags))
      .map((v) => ({ id: v.volumeId, tags: v.tags })),
  };
}

/**
 * After a commit: the previous generation's snapshots (named explicitly) and every other sync snapshot of
 * the VPG not kept, plus every zSAT instance and volume of the VPG (this sync's and earlier leftovers).
 */
export function selectAfterCommit(inventory: CleanupInventory, scope: CleanupScope, previousSnapshotIds: readonly string[]): CleanupSelection {
  const refused: Refusal[] = [];
  const wanted = new Set(previousSnapshotIds);
  const snapshotCandidates = inventory.snapshots
    .filter((s) => (wanted.has(s.snapshotId) || isSyncSnapshot(s.tags)) && !scope.keepSnapshotIds.has(s.snapshotId))
    .map((s) => ({ id: s.snapshotId, tags: s.tags }));
  const zsats = zsatResources(inventory);
  return {
    snapshots: partition(snapshotCandidates, scope, refused, wanted),
    instances: partition(zsats.instances, scope, refused),
    volumes: partition(zsats.volumes, scope, refused),
    refused,
  };
}

/** The leftovers selectAfterCommit weighs whose sync id would need proof (all but the snapshots named by id). */
export function leftoverCandidates(inventory: CleanupInventory, previousSnapshotIds: readonly string[]): Array<{ id: string; tags: Tags }> {
  const wanted = new Set(previousSnapshotIds);
  const zsats = zsatResources(inventory);
  return [
    ...inventory.snapshots.filter((s) => !wanted.has(s.snapshotId) && isSyncSnapshot(s.tags)).map((s) => ({ id: s.snapshotId, tags: s.tags })),
    ...zsats.instances,
    ...zsats.volumes,
  ];
}

/** After a failure: only what this sync created (by its sync id tag), never a kept snapshot. */
export function selectAfterFailure(inventory: CleanupInventory, scope: CleanupScope, syncId: string): CleanupSelection {
  const refused: Refusal[] = [];
  const mine = { ...scope, activeSyncIds: new Set([...scope.activeSyncIds].filter((s) => s !== syncId)) };
  const snapshotCandidates = inventory.snapshots
    .filter((s) => s.tags[TAG.syncId] === syncId && isSyncSnapshot(s.tags) && !scope.keepSnapshotIds.has(s.snapshotId))
    .map((s) => ({ id: s.snapshotId, tags: s.tags }));
  const zsats = zsatResources(inventory, syncId);
  return {
    snapshots: partition(snapshotCandidates, mine, refused),
    instances: partition(zsats.instances, mine, refused),
    volumes: partition(zsats.volumes, mine, refused),
    refused,
  };
}
