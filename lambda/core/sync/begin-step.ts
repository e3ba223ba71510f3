/** Begin: take the VPG's lock, resolve the protected volumes and their base snapshots, derive the sync id. */
import type { BeginOutput, ProtectedVolume, SyncInput } from '../sync-contract';
import { SyncFailed } from '../errors';
import { chooseBaseSnapshot, missingInstanceIds, previousGeneration, selectProtectedInstances } from '../protected-resources';
import { beginMetrics, METRICS_LOG_MESSAGE } from '../metrics';
import { deriveSyncId } from '../sync-ids';
import { decideLock } from '../sync-lock';
import type { InstanceInfo, SnapshotInfo } from '../sync-ports';
import type { StepDeps } from './step-deps';

const GIB = 1024 ** 3;

async function findInstances(input: SyncInput, deps: StepDeps): Promise<InstanceInfo[]> {
  const states = ['pending', 'running', 'stopping', 'stopped'] as const;
  const found: InstanceInfo[] = [];
  if (input.vpg.instanceIds.length > 0) found.push(...(await deps.ec2.describeInstances({ ids: input.vpg.instanceIds, states })));
  if (Object.keys(input.vpg.instanceTags).length > 0) found.push(...(await deps.ec2.describeInstances({ tags: input.vpg.instanceTags, states })));
  return selectProtectedInstances(found, input.vpg);
}

/** The achieved RPO at each start, failing or not: the metric must keep coming exactly when syncs stop committing. */
function publishRpo(input: SyncInput, deps: StepDeps, lastCheckpointAt: string | undefined): void {
  const doc = beginMetrics({ site: deps.env.siteId, vpg: input.vpg.name }, lastCheckpointAt, deps.now());
  if (doc) deps.log.info(METRICS_LOG_MESSAGE, doc);
}

export async function begin(input: SyncInput, deps: StepDeps): Promise<BeginOutput> {
  const syncId = deriveSyncId(input.executionId);
  const running = await deps.executions.listRunning(input.stateMachineArn);
  const lock = decideLock({ executionArn: input.executionId, startedAt: input.startedAt }, running);
  if (!lock.acquired) {
    const reason = `skipped: sync in progress (${lock.holder.executionArn})`;
    deps.log.info(reason, { holder: lock.holder.executionArn });
    const checkpoints = await deps.store.listCheckpoints(input.vpg.name);
    publishRpo(input, deps, checkpoints[checkpoints.length - 1]?.createdAt);
    return { skipped: true, reason, syncId, generation: 0, parentCheckpointId: null, volumes: [] };
  }

  const instances = await findInstances(input, deps);
  const missing = missingInstanceIds(input.vpg, instances);
  if (missing.length > 0) deps.log.warn('protected instances not found (terminated, or never existed)', { missing });
  const attached = instances.flatMap((i) => i.volumes.map((v) => ({ ...v, instanceId: i.instanceId })));
  if (attached.length === 0) {
    throw new SyncFailed(`VPG ${input.vpg.name} protects no EBS volume: no running or stopped instance matches its ids/tags`);
  }
  const volumeInfo = new Map((await deps.ec2.describeVolumes({ ids: attached.map((v) => v.volumeId) })).map((v) => [v.volumeId, v]));

  const checkpoints = await deps.store.listCheckpoints(input.vpg.name);
  const latest = checkpoints[checkpoints.length - 1];
  publishRpo(input, deps, latest?.createdAt);
  const baseIds = latest ? [...new Set(latest.volumes.map((v) => v.snapshotId))] : [];
  const snapshots = new Map<string, SnapshotInfo>(
    baseIds.length > 0 ? (await deps.ec2.describeSnapshots({ ids: baseIds })).map((s) => [s.snapshotId, s]) : [],
  );

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
    };
  });
  const generation = previousGeneration(latest, snapshots, checkpoints.length) + 1;
  deps.log.info('sync begins', { syncId, generation, volumes: volumes.length, parentCheckpointId: latest?.id ?? null });
  return { skipped: false, syncId, generation, parentCheckpointId: latest?.id ?? null, volumes };
}
