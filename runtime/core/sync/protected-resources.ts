/** Which instances a VPG protects, and which snapshot each volume's incremental read can start from. */
import type { CheckpointSummary } from '../store/port';
import type { VpgRuntime } from './contract';
import type { Ec2Port, InstanceInfo, SnapshotInfo } from '../ports';
import { isOurs, TAG } from '../tags';

const PROTECTABLE_STATES = new Set(['running', 'stopped', 'stopping', 'pending']);

function matchesSelector(instance: InstanceInfo, vpg: Pick<VpgRuntime, 'instanceIds' | 'instanceTags'>): boolean {
  if (vpg.instanceIds.includes(instance.instanceId)) return true;
  const selector = Object.entries(vpg.instanceTags);
  return selector.length > 0 && selector.every(([k, v]) => instance.tags[k] === v);
}

/**
 * The VPG's protected instances among the candidates: named by id or matching every selector tag, not
 * terminated, and never one of Lifeboat's own (anything with ZERTO_TAG: zSATs, importers, recovered VMs).
 * Sorted by id, duplicates removed.
 */
export function selectProtectedInstances(candidates: readonly InstanceInfo[], vpg: Pick<VpgRuntime, 'instanceIds' | 'instanceTags'>): InstanceInfo[] {
  const byId = new Map<string, InstanceInfo>();
  for (const i of candidates) {
    if (!PROTECTABLE_STATES.has(i.state) || i.tags[TAG.zerto] !== undefined) continue;
    if (matchesSelector(i, vpg)) byId.set(i.instanceId, i);
  }
  return [...byId.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
}

/** The VPG's protected instances as EC2 lists them now: by its ids and by its tags (Begin, `lifeboat doctor`). */
export async function findProtectedInstances(
  vpg: Pick<VpgRuntime, 'instanceIds' | 'instanceTags'>,
  ec2: Pick<Ec2Port, 'describeInstances'>,
): Promise<InstanceInfo[]> {
  const states = ['pending', 'running', 'stopping', 'stopped'] as const;
  const found: InstanceInfo[] = [];
  if (vpg.instanceIds.length > 0) found.push(...(await ec2.describeInstances({ ids: vpg.instanceIds, states })));
  if (Object.keys(vpg.instanceTags).length > 0) found.push(...(await ec2.describeInstances({ tags: vpg.instanceTags, states })));
  return selectProtectedInstances(found, vpg);
}

/** Ids named in the VPG that did not resolve to a protectable instance (a config drift a person should see). */
export function missingInstanceIds(vpg: Pick<VpgRuntime, 'instanceIds'>, found: readonly InstanceInfo[]): string[] {
  const ids = new Set(found.map((i) => i.instanceId));
  return vpg.instanceIds.filter((id) => !ids.has(id));
}

export interface BaseChoice {
  readonly snapshotId: string | null;
  /** Why there is no base (full read), or 'incremental'. */
  readonly reason: string;
}

/** The base of a volume: its snapshot in the latest committed checkpoint, if that snapshot still exists, is completed and is ours. */
export function chooseBaseSnapshot(
  volumeId: string,
  latest: CheckpointSummary | undefined,
  snapshots: ReadonlyMap<string, SnapshotInfo>,
  siteId: string,
  vpg: string,
): BaseChoice {
  if (!latest) return { snapshotId: null, reason: 'no committed checkpoint yet: full read' };
  const entry = latest.volumes.find((v) => v.sourceVolumeId === volumeId);
  if (!entry) return { snapshotId: null, reason: `volume is new to checkpoint ${latest.id}: full read` };
  const snap = snapshots.get(entry.snapshotId);
  if (!snap) return { snapshotId: null, reason: `base snapshot ${entry.snapshotId} no longer exists: full read` };
  if (snap.state !== 'completed') return { snapshotId: null, reason: `base snapshot ${entry.snapshotId} is ${snap.state}: full read` };
  if (!isOurs(snap.tags, siteId, vpg)) return { snapshotId: null, reason: `base snapshot ${entry.snapshotId} is not ours: full read` };
  if (snap.volumeId !== volumeId) return { snapshotId: null, reason: `base snapshot ${entry.snapshotId} is of another volume: full read` };
  return { snapshotId: entry.snapshotId, reason: 'incremental' };
}

/** The generation of the latest checkpoint, from its snapshots' generation tag (0 when there is none). */
export function previousGeneration(latest: CheckpointSummary | undefined, snapshots: ReadonlyMap<string, SnapshotInfo>, checkpointCount: number): number {
  if (!latest) return 0;
  const tagged = latest.volumes.map((v) => Number(snapshots.get(v.snapshotId)?.tags[TAG.generation])).filter((g) => Number.isInteger(g) && g > 0);
  return tagged.length > 0 ? Math.max(...tagged) : checkpointCount;
}
