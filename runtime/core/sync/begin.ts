/** Begin: take the VPG's lease, resolve the protected volumes and their base snapshots, derive the sync id. */
import type { BeginOutput, ProtectedVolume, SyncInput, SyncLease } from './contract';
import { departedSources } from './departed-sources';
import { SyncFailed } from '../errors';
import { acquireLease, currentLease, delegateLease, releaseLease, type AcquireResult } from '../lease/lease-guard';
import { continuationRequestSchema, finalSyncRequestSchema } from './schemas';
import { actsUnder, leaseHorizonSeconds } from '../lease/vpg-lease';
import { maxWaitSeconds } from '../workers/wait-policy';
import { chooseBaseSnapshot, missingInstanceIds, previousGeneration, findProtectedInstances } from './protected-resources';
import { beginMetrics, METRICS_LOG_MESSAGE } from '../monitoring/metrics';
import { continuationOf, deriveSyncId } from './ids';
import { syncFactsKey } from '../store/format';
import { syncFactsOf } from './launch-facts';
import type { SnapshotInfo } from '../ports';
import type { StepBasics, StepDepsWith } from './deps';

/** Begin reads EC2 and the store and takes the lease (asking Step Functions whether its holder still runs). */
export type BeginDeps = StepDepsWith<'ec2' | 'store' | 'readers' | 'lease' | 'executions'>;
import { restoreProblems, summarizeProblems } from './integrity-check';

const GIB = 1024 ** 3;

/** The achieved RPO at each start, failing or not: the metric must keep coming exactly when syncs stop committing. */
function publishRpo(input: SyncInput, deps: StepBasics, lastCheckpointAt: string | undefined, sourcesDeparted?: number): void {
  const doc = beginMetrics({ site: deps.env.siteId, vpg: input.vpg.name }, lastCheckpointAt, deps.now(), sourcesDeparted);
  if (doc) deps.log.info(METRICS_LOG_MESSAGE, doc);
}

/** The VPG's lease: its own, or, for a live failback's final sync, the failback's as its delegate. */
async function takeLease(input: SyncInput, deps: BeginDeps): Promise<{ result: AcquireResult; role: SyncLease['role'] }> {
  const me = { executionArn: input.executionId, kind: 'sync' as const };
  const horizon = leaseHorizonSeconds(maxWaitSeconds(input.vpg.pollSeconds));
  const grant = finalSyncRequestSchema.safeParse(input.request);
  if (grant.success) {
    const { executionArn, leaseToken } = grant.data.finalSyncOf;
    return { result: await delegateLease(deps, input.vpg.name, { holder: executionArn, token: leaseToken }, me, horizon), role: 'delegate' };
  }
  return { result: await acquireLease(deps, input.vpg.name, me, horizon), role: 'holder' };
}

/**
 * A continuation (sync/continue.ts) takes over its sync: only under the name the hand-over derived, with the input
 * it was handed, and only when the lease already names it with the token it carries. Anything else stops here,
 * before it touches anything.
 */
async function resumeSync(input: SyncInput, deps: BeginDeps): Promise<BeginOutput> {
  const me = continuationOf(input.executionId);
  const request = continuationRequestSchema.safeParse(input.request);
  if (!request.success) {
    throw new SyncFailed(
      `execution names of the form <sync id>-c<n> (${input.executionId}) are kept for a sync's continuations, which a ` +
        "sync's HandOver starts with its state: start a sync under another name, or with none",
    );
  }
  const c = request.data.continuationOf;
  if (!me || me.syncId !== c.syncId || me.n !== c.n) {
    throw new SyncFailed(
      `a continuation input of sync ${c.syncId} (#${c.n}) is taken only by the execution its hand-over started, not by ${input.executionId}`,
    );
  }
  const token = c.begin.lease?.token;
  const lease = await currentLease(deps, input.vpg.name);
  if (token === undefined || !actsUnder(lease, input.executionId, token)) {
    throw new SyncFailed(
      `the lease of VPG ${input.vpg.name} was not handed to this continuation (token ${token ?? 'none'}; it now has token ${lease?.token ?? 'none'}): it stops before acting`,
    );
  }
  deps.log.info('sync continues', { syncId: c.syncId, n: c.n, from: c.executionArn, leaseToken: token });
  return { ...c.begin, resumed: { from: c.executionArn, n: c.n } };
}

export async function begin(input: SyncInput, deps: BeginDeps): Promise<BeginOutput> {
  if (continuationOf(input.executionId) || continuationRequestSchema.safeParse(input.request).success) return resumeSync(input, deps);
  const syncId = deriveSyncId(input.executionId);
  const { result: lease, role } = await takeLease(input, deps);
  if (!lease.held) {
    const reason = `skipped: the lease of VPG ${input.vpg.name} is taken: ${lease.reason} (until ${lease.until} at the latest)`;
    deps.log.info(reason, { holder: lease.holder.executionArn });
    const checkpoints = await deps.store.listCheckpoints(input.vpg.name);
    publishRpo(input, deps, checkpoints[checkpoints.length - 1]?.createdAt);
    return { skipped: true, reason, syncId, generation: 0, parentCheckpointId: null, volumes: [] };
  }
  try {
    return await beginUnderLease(input, deps, syncId, { token: lease.token, role });
  } catch (err) {
    // nothing was created yet: free the lease at once rather than make the next sync wait for it
    await releaseLease(deps, input.vpg.name, input.executionId).catch(() => undefined);
    throw err;
  }
}

async function beginUnderLease(input: SyncInput, deps: BeginDeps, syncId: string, lease: SyncLease): Promise<BeginOutput> {
  const instances = await findProtectedInstances(input.vpg, deps.ec2);
  const missing = missingInstanceIds(input.vpg, instances);
  if (missing.length > 0) deps.log.warn('protected instances not found (terminated, or never existed)', { missing });
  const attached = instances.flatMap((i) => i.volumes.map((v) => ({ ...v, instanceId: i.instanceId })));
  if (attached.length === 0) {
    throw new SyncFailed(`VPG ${input.vpg.name} protects no EBS volume: no running or stopped instance matches its ids/tags`);
  }
  const volumeInfo = new Map((await deps.ec2.describeVolumes({ ids: attached.map((v) => v.volumeId) })).map((v) => [v.volumeId, v]));

  const checkpoints = await deps.store.listCheckpoints(input.vpg.name);
  const listedLatest = checkpoints[checkpoints.length - 1];
  // never build on a checkpoint that would not restore: read everything, commit a full checkpoint instead
  const damage = listedLatest ? await restoreProblems(deps.store, input.vpg.name, listedLatest.id) : [];
  const fullResync =
    damage.length > 0
      ? `the latest checkpoint ${listedLatest.id} would not restore (${summarizeProblems(damage)}): this sync reads every volume in full`
      : undefined;
  if (fullResync) deps.log.warn(fullResync, { checkpointId: listedLatest.id, problems: damage.length });
  const latest = fullResync ? undefined : listedLatest;
  const released = new Set((await deps.readers.releasedSources(input.vpg.name)).map((r) => r.sourceId));
  const departed = departedSources(checkpoints, new Set(attached.map((a) => a.volumeId)), released);
  for (const d of departed) {
    deps.log.warn('a protected volume left the VPG: its protection has ended; its copies are kept until a person releases it', {
      ...d,
      release: `lifeboat release ${input.vpg.name} ${d.sourceVolumeId}`,
    });
  }
  publishRpo(input, deps, listedLatest?.createdAt, departed.length);
  const baseIds = latest ? [...new Set(latest.volumes.map((v) => v.snapshotId))] : [];
  const snapshots = new Map<string, SnapshotInfo>(baseIds.length > 0 ? (await deps.ec2.describeSnapshots({ ids: baseIds })).map((s) => [s.snapshotId, s]) : []);

  const volumes: ProtectedVolume[] = attached.map((a) => {
    const info = volumeInfo.get(a.volumeId);
    if (!info) throw new SyncFailed(`volume ${a.volumeId} of instance ${a.instanceId} is attached but cannot be described`);
    const base = chooseBaseSnapshot(a.volumeId, latest, snapshots, deps.env.siteId, input.vpg.name);
    if (base.snapshotId === null) deps.log.info(`volume ${a.volumeId}: ${base.reason}`, { volumeId: a.volumeId });
    return {
      volumeId: a.volumeId,
      instanceId: a.instanceId,
      device: a.device,
      sizeBytes: info.sizeGiB * GIB,
      availabilityZone: info.availabilityZone,
      baseSnapshotId: base.snapshotId,
      ...(info.kmsKeyId ? { kmsKeyId: info.kmsKeyId } : {}),
    };
  });
  const generation = previousGeneration(latest, snapshots, checkpoints.length) + 1;
  // what a recovery elsewhere needs to launch them (Commit puts it in the checkpoint; kept out of the payload)
  await deps.store.putJson(syncFactsKey(input.vpg.name, syncId), syncFactsOf(instances, volumeInfo));
  deps.log.info('sync begins', {
    syncId,
    generation,
    volumes: volumes.length,
    parentCheckpointId: latest?.id ?? null,
    leaseToken: lease.token,
    leaseRole: lease.role,
  });
  return {
    skipped: false,
    syncId,
    generation,
    parentCheckpointId: latest?.id ?? null,
    volumes,
    lease,
    ...(departed.length > 0 ? { departed } : {}),
    ...(fullResync ? { fullResync } : {}),
  };
}
