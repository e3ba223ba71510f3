/** Cleanup after a commit, and CleanupFailed after any failure. */
import type { CleanupStepInput, CleanupFailedInput } from './contract';
import { leftoverCandidates, selectAfterCommit, selectAfterFailure, type CleanupInventory } from '../cleanup/cleanup-selection';
import { executionArnOf, judgeLeftovers } from '../cleanup/execution-proof';
import { failbackArnFor } from '../store/journal';
import { errorMessage, readableCause } from '../errors';
import { failureMetrics, METRICS_LOG_MESSAGE } from '../monitoring/metrics';
import { syncPrefix } from '../store/format';
import { continuationName, deriveSyncId } from './ids';
import type { InstanceInfo, SnapshotInfo, VolumeInfo } from '../ports';
import { isOurs, TAG, type Tags } from '../tags';
import { carryOutCleanup, type CleanupReport } from '../cleanup/guarded-cleanup';
import { releaseLease } from '../lease/lease-guard';
import type { StepDepsWith } from './deps';

/**
 * A cleanup lists and deletes EC2 leftovers and frees the lease; it asks Step Functions which syncs still run (after
 * a commit) or whether this sync went on in a continuation (after a failure, sync/continue.ts).
 */
type CleanupDeps = StepDepsWith<'ec2' | 'executions' | 'store' | 'readers' | 'lease'>;

export const CLEANUP_DETACH_WAIT_SECONDS = 120;
export const CLEANUP_FAILED_DETACH_WAIT_SECONDS = 60;

function unique<T>(items: readonly T[], id: (t: T) => string): T[] {
  return [...new Map(items.map((t) => [id(t), t])).values()];
}

/** Everything tagged with the VPG (ours or a look-alike: the selection decides), plus snapshots named by id. */
async function inventory(deps: Pick<CleanupDeps, 'ec2'>, tags: Tags, snapshotIds: readonly string[]): Promise<CleanupInventory> {
  const zsatTags = { ...tags, [TAG.role]: 'zsat' };
  const snapshots: SnapshotInfo[] = [
    ...(await deps.ec2.describeSnapshots({ tags })),
    ...(snapshotIds.length > 0 ? await deps.ec2.describeSnapshots({ ids: snapshotIds }) : []),
  ];
  const instances: InstanceInfo[] = await deps.ec2.describeInstances({ tags: zsatTags });
  const volumes: VolumeInfo[] = await deps.ec2.describeVolumes({ tags: zsatTags });
  return { snapshots: unique(snapshots, (s) => s.snapshotId), instances, volumes };
}

async function otherRunningSyncIds(deps: Pick<CleanupDeps, 'executions'>, stateMachineArn: string | undefined, self: string): Promise<Set<string>> {
  if (!stateMachineArn) return new Set();
  const running = await deps.executions.listRunning(stateMachineArn);
  return new Set(running.filter((e) => e.executionArn !== self).map((e) => deriveSyncId(e.executionArn)));
}

export async function cleanupAfterCommit(input: CleanupStepInput, deps: CleanupDeps): Promise<CleanupReport> {
  const vpg = input.vpg.name;
  const { syncId, parentCheckpointId } = input.begin;
  const committed = await deps.store.getCheckpoint(vpg, input.commit.checkpointId);
  const keep = new Set([...Object.values(input.snapshots.snapshots), ...(committed?.volumes.map((v) => v.snapshotId) ?? [])]);
  const parent = parentCheckpointId ? await deps.store.getCheckpoint(vpg, parentCheckpointId) : null;
  const previous = parent?.volumes.map((v) => v.snapshotId) ?? [];
  const found = await inventory(deps, { [TAG.vpg]: vpg }, previous);
  // leftovers of other syncs are deleted only when their execution is provably one of this VPG's
  const others = leftoverCandidates(found, previous).filter((c) => c.tags[TAG.syncId] !== syncId && isOurs(c.tags, deps.env.siteId, vpg));
  const machines = { sync: input.stateMachineArn, failback: failbackArnFor(input.stateMachineArn, deps.env.siteId, vpg) };
  const verdicts = await judgeLeftovers(deps.executions, machines, others);
  const proven = others.filter((c) => verdicts.get(c.id)?.kind === 'ended').map((c) => c.tags[TAG.syncId]);
  const stillRunning = others.filter((c) => verdicts.get(c.id)?.kind === 'running').map((c) => c.tags[TAG.syncId]);
  const scope = {
    siteId: deps.env.siteId,
    vpg,
    keepSnapshotIds: keep,
    activeSyncIds: new Set([...(await otherRunningSyncIds(deps, input.stateMachineArn, input.executionId)), ...stillRunning]),
    provenSyncIds: new Set([syncId, ...proven]),
  };
  const selection = selectAfterCommit(found, scope, previous);
  const report = await carryOutCleanup(selection, deps, { vpg, detachWaitSeconds: CLEANUP_DETACH_WAIT_SECONDS, tolerateErrors: false });
  await deps.store.deletePrefix(syncPrefix(vpg, syncId));
  // the last step of the sync: the next one need not wait for the lease to expire
  await releaseLease(deps, vpg, input.executionId);
  deps.log.info('cleanup done', { ...report });
  return report;
}

export type CleanupFailedReport = CleanupReport & { readonly syncId: string; readonly cause: string };

/** Deletes what this sync created; keeps its bases and every committed checkpoint's snapshots; never throws. */
export async function cleanupAfterFailure(input: CleanupFailedInput, deps: CleanupDeps): Promise<CleanupFailedReport> {
  const vpg = input.vpg.name;
  const syncId = input.begin?.syncId ?? deriveSyncId(input.executionId);
  const cause = readableCause(input.error?.Cause) ?? input.error?.Error ?? 'unknown';
  const empty: CleanupReport = { deletedSnapshots: [], deletedVolumes: [], terminatedInstances: [], volumesLeft: [], refused: [], errors: [] };
  if (input.begin?.skipped) return { ...empty, syncId, cause };
  // An execution that handed its sync over (sync/continue.ts) and failed afterwards must not touch what its
  // continuation now reads with: the lease already fenced it out, and the continuation cleans up for itself.
  if (deps.leaseHeld === false && input.stateMachineArn) {
    const next = executionArnOf(input.stateMachineArn, continuationName(syncId, (input.begin?.resumed?.n ?? 0) + 1));
    if ((await deps.executions.state(next).catch(() => 'running' as const)) !== 'unknown') {
      deps.log.warn('this sync went on in its continuation: nothing deleted', { continuation: next, cause });
      return { ...empty, syncId, cause };
    }
  }
  let report = empty;
  let lastCheckpointAt: string | undefined;
  try {
    const checkpoints = await deps.store.listCheckpoints(vpg);
    lastCheckpointAt = checkpoints[checkpoints.length - 1]?.createdAt;
    const keep = new Set<string>([
      ...checkpoints.flatMap((c) => c.volumes.map((v) => v.snapshotId)),
      ...(input.begin?.volumes ?? []).flatMap((v) => (v.baseSnapshotId ? [v.baseSnapshotId] : [])),
    ]);
    const scope = { siteId: deps.env.siteId, vpg, keepSnapshotIds: keep, activeSyncIds: new Set<string>() };
    const selection = selectAfterFailure(await inventory(deps, { [TAG.vpg]: vpg, [TAG.syncId]: syncId }, []), scope, syncId);
    report = await carryOutCleanup(selection, deps, { vpg, detachWaitSeconds: CLEANUP_FAILED_DETACH_WAIT_SECONDS, tolerateErrors: true });
  } catch (err) {
    report = { ...report, errors: [...report.errors, errorMessage(err)] };
  }
  try {
    // its zSATs may have stored packs no checkpoint will reference: the next compaction collects them
    await deps.readers.putGcNote(vpg, syncId);
    await deps.store.deletePrefix(syncPrefix(vpg, syncId));
  } catch (err) {
    report = { ...report, errors: [...report.errors, `working files: ${errorMessage(err)}`] };
  }
  if (deps.leaseHeld !== false) {
    try {
      await releaseLease(deps, vpg, input.executionId);
    } catch (err) {
      report = { ...report, errors: [...report.errors, `lease: ${errorMessage(err)} (it expires by itself)`] };
    }
  }
  deps.log.warn('cleanup after failure done', { ...report, cause });
  deps.log.info(METRICS_LOG_MESSAGE, failureMetrics({ site: deps.env.siteId, vpg }, lastCheckpointAt, deps.now()));
  return { ...report, syncId, cause };
}
