/**
 * What the site sweeper may delete, decided on plain data. The sweeper is the safety net behind every sync's
 * and failback's own cleanup: it takes leaked zSAT / ZImporter instances and volumes, sync snapshots and a
 * failback's snapshots of its written volumes that
 * belong to no running execution and are older than a grace period, and test-failback VMs past their expiry.
 * It never selects a base snapshot (one the latest committed checkpoint references), nor anything not tagged as ours
 * (the guarded delete checks the tags once more right before each call).
 */
import type { CleanupInventory, CleanupSelection, Refusal } from './cleanup-selection';
import { TAG, type Tags } from '../tags';

/** The sweeper looks at the same inventory a sync's cleanup does. */
export type SweepInventory = CleanupInventory;

export interface SweepScope {
  readonly siteId: string;
  readonly now: Date;
  /** Younger resources are left alone: their creator may still be between create and its first record. */
  readonly graceMinutes: number;
  /** Sync ids, execution ARNs and names of every running execution of the site's state machines. */
  readonly activeIds: ReadonlySet<string>;
  /** The base snapshots: what each VPG's latest committed checkpoint references (the next sync diffs against them). */
  readonly keepSnapshotIds: ReadonlySet<string>;
}

/** A resource left alone, and why (dry runs and logs show these). */
export interface Kept {
  readonly id: string;
  readonly reason: string;
}

export interface SweepPlan {
  /** One selection per VPG: the guarded delete checks each resource against that VPG's tag. */
  readonly byVpg: ReadonlyMap<string, CleanupSelection>;
  readonly kept: readonly Kept[];
  readonly refused: readonly Refusal[];
}

/** Roles whose instances and volumes exist only while an execution runs. */
const WORKER_ROLES = new Set(['zsat', 'zimporter']);
/**
 * Snapshots that exist only while an execution runs: a sync's (unless a base) and a failback's of its written
 * volumes (runtime/core/failback/recovered.ts; its Finish deletes them, a stopped failback cannot).
 */
const SWEPT_SNAPSHOT_ROLES = new Set(['sync-snapshot', 'zimporter']);

function refusal(tags: Tags, siteId: string): string | null {
  if (tags[TAG.owner] !== siteId) return tags[TAG.owner] === undefined ? 'no Owner tag' : `Owner is ${tags[TAG.owner]}, not ${siteId}`;
  if (!tags[TAG.zerto]) return 'no ZERTO_TAG';
  if (!tags[TAG.vpg]) return 'no VPG tag';
  return null;
}

/** The execution a resource belongs to is still running (by sync id or execution tag). */
function isActive(tags: Tags, active: ReadonlySet<string>): boolean {
  return [tags[TAG.syncId], tags[TAG.executionId]].some((id) => id !== undefined && active.has(id));
}

/** Expired when the test-expiry tag holds a time in the past; unparsable or absent: never expires here. */
export function testExpired(tags: Tags, now: Date): boolean {
  const at = tags[TAG.testExpiresAt];
  if (at === undefined) return false;
  const ms = Date.parse(at);
  return Number.isFinite(ms) && ms <= now.getTime();
}

type Candidate = { id: string; tags: Tags; createdAt: string | undefined; kind: 'instances' | 'volumes' | 'snapshots' };

/** Why a worker resource or sync snapshot must stay, or null when it may go. */
function workerVerdict(c: Candidate, scope: SweepScope): string | null {
  if (isActive(c.tags, scope.activeIds)) return 'its execution is still running';
  const created = c.createdAt === undefined ? NaN : Date.parse(c.createdAt);
  if (!Number.isFinite(created)) return 'creation time unknown';
  if (scope.now.getTime() - created < scope.graceMinutes * 60_000) return `younger than ${scope.graceMinutes} minutes`;
  return null;
}

function verdict(c: Candidate, scope: SweepScope): string | null {
  const role = c.tags[TAG.role];
  if (role === 'recovered-vm') {
    if (c.kind === 'snapshots') return 'not a sync snapshot';
    return testExpired(c.tags, scope.now) ? null : 'a recovered VM (live, or test not yet expired)';
  }
  if (c.kind === 'snapshots') {
    if (!SWEPT_SNAPSHOT_ROLES.has(role ?? '')) return `role ${role ?? '(none)'} is not swept`;
    if (scope.keepSnapshotIds.has(c.id)) return 'a base snapshot (the latest checkpoint references it)';
    return workerVerdict(c, scope);
  }
  if (!WORKER_ROLES.has(role ?? '')) return `role ${role ?? '(none)'} is not swept`;
  return workerVerdict(c, scope);
}

export function selectForSweep(inventory: SweepInventory, scope: SweepScope): SweepPlan {
  const candidates: Candidate[] = [
    ...inventory.instances
      .filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down')
      .map((i): Candidate => ({ id: i.instanceId, tags: i.tags, createdAt: i.launchTime, kind: 'instances' })),
    ...inventory.volumes
      .filter((v) => v.state !== 'deleted' && v.state !== 'deleting')
      .map((v): Candidate => ({ id: v.volumeId, tags: v.tags, createdAt: v.createTime, kind: 'volumes' })),
    ...inventory.snapshots.map((s): Candidate => ({ id: s.snapshotId, tags: s.tags, createdAt: s.startTime, kind: 'snapshots' })),
  ];
  const byVpg = new Map<string, { snapshots: string[]; instances: string[]; volumes: string[]; refused: Refusal[] }>();
  const kept: Kept[] = [];
  const refused: Refusal[] = [];
  for (const c of [...new Map(candidates.map((c) => [c.id, c])).values()]) {
    const notOurs = refusal(c.tags, scope.siteId);
    if (notOurs) {
      refused.push({ id: c.id, reason: notOurs });
      continue;
    }
    const why = verdict(c, scope);
    if (why) {
      kept.push({ id: c.id, reason: why });
      continue;
    }
    const vpg = c.tags[TAG.vpg];
    const selection = byVpg.get(vpg) ?? { snapshots: [], instances: [], volumes: [], refused: [] };
    selection[c.kind].push(c.id);
    byVpg.set(vpg, selection);
  }
  for (const s of byVpg.values()) for (const list of [s.snapshots, s.instances, s.volumes]) list.sort();
  return { byVpg, kept, refused };
}
