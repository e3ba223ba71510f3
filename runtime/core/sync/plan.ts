/**
 * Plan: per volume, the blocks to read (written to the store: plans can be far larger than a state payload),
 * then the volumes grouped into zSATs, one read job per zSAT written to the store.
 */
import type { PlanOutput, PlanStepInput, VpgRuntime } from './contract';
import type { BlockPlan, ReadJob } from '../workers/agent-job';
import { buildFullPlan, buildIncrementalPlan, plannedBytes } from './block-plan';
import { errorMessage, SyncFailed } from '../errors';
import { planKey, syncJobKey, syncProgressKey, syncResultKey, vpgPrefix } from '../store/format';
import { zsatJobId } from './ids';
import { groupVolumesIntoZsats } from './zsat-grouping';
import { zsatsAtOnce, type ZsatsAtOnce, type ZsatsAtOnceInput } from './vcpu-quota';
import type { StepDepsWith } from './deps';
import { zsatPollBudget } from './history-budget';

/** The agent rewrites its progress this often: several heartbeats fit in one timeout. */
export function agentHeartbeatSeconds(vpg: Pick<VpgRuntime, 'heartbeatTimeoutSeconds'>): number {
  return Math.max(1, Math.min(30, Math.floor(vpg.heartbeatTimeoutSeconds / 5)));
}

/**
 * The zSATs this sync runs at once (the Map's MaxConcurrencyPath): the config's bound, lowered to what the vCPU
 * quota holds beside what runs now. An estimate (instances come and go): a launch past the quota still waits with
 * back-off. A quota or instance list that cannot be read leaves the config's bound; a quota smaller than one zSAT
 * fails the sync now, before a volume or an instance is created.
 */
async function sizeToQuota(vpg: VpgRuntime, zsats: number, deps: StepDepsWith<'capacity'>): Promise<ZsatsAtOnce> {
  const instanceType = deps.env.zsatInstanceTypes[0] ?? '';
  let read: Pick<ZsatsAtOnceInput, 'vcpusEach' | 'room'>;
  try {
    const [quota, inUse, vcpusEach] = await Promise.all([
      deps.capacity.standardVcpuQuota(),
      deps.capacity.standardVcpusInUse(),
      deps.capacity.vcpusOf(instanceType),
    ]);
    read = { vcpusEach, room: { quota, inUse } };
  } catch (err) {
    deps.log.warn("vCPU quota not read: the zSATs at once are the config's agent.maxZsats", { error: errorMessage(err) });
    read = { vcpusEach: null, room: null };
  }
  return zsatsAtOnce({ zsats, maxZsats: vpg.maxZsats, instanceType, ...read });
}

export async function planSync(input: PlanStepInput, deps: StepDepsWith<'ebs' | 'store' | 'capacity'>): Promise<PlanOutput> {
  const vpg = input.vpg.name;
  const { syncId } = input.begin;
  const plans: BlockPlan[] = [];
  for (const volume of input.begin.volumes) {
    const snapshotId = input.snapshots.snapshots[volume.volumeId];
    if (!snapshotId) throw new SyncFailed(`no snapshot was taken of volume ${volume.volumeId}`);
    const target = { sourceVolumeId: volume.volumeId, snapshotId, sizeBytes: volume.sizeBytes };
    let plan: BlockPlan;
    if (volume.baseSnapshotId) {
      const { trimmed, ...incremental } = buildIncrementalPlan(
        target,
        volume.baseSnapshotId,
        await deps.ebs.listChangedBlocks(volume.baseSnapshotId, snapshotId),
      );
      plan = incremental;
      deps.log.info('changed blocks planned', { volumeId: volume.volumeId, blocks: plan.blocks.length, trimmed });
    } else {
      plan = buildFullPlan(target, await deps.ebs.listSnapshotBlocks(snapshotId));
      deps.log.info('allocated blocks planned (full read)', { volumeId: volume.volumeId, blocks: plan.blocks.length });
    }
    await deps.store.putJson(planKey(vpg, syncId, volume.volumeId), plan);
    plans.push(plan);
  }

  const byVolume = new Map(input.begin.volumes.map((v) => [v.volumeId, v]));
  const groups = groupVolumesIntoZsats(
    plans.map((p) => ({ volumeId: p.sourceVolumeId, availabilityZone: byVolume.get(p.sourceVolumeId)!.availabilityZone, plannedBytes: plannedBytes(p) })),
    input.vpg.volumesPerZsat,
  );
  const zsats = [];
  for (const group of groups) {
    const jobId = zsatJobId(syncId, group.index);
    const job: ReadJob = {
      kind: 'read',
      jobId,
      vpg,
      syncId,
      executionId: input.executionId,
      store: { bucket: deps.env.bucket, prefix: vpgPrefix(vpg) },
      progressKey: syncProgressKey(vpg, syncId, jobId),
      resultKey: syncResultKey(vpg, syncId, jobId),
      heartbeatSeconds: agentHeartbeatSeconds(input.vpg),
      // volumeId is filled in by spawn-zsat once the zSAT volume exists.
      volumes: group.volumeIds.map((id) => ({ volumeId: '', sourceVolumeId: id, sizeBytes: byVolume.get(id)!.sizeBytes, planKey: planKey(vpg, syncId, id) })),
    };
    const jobKey = syncJobKey(vpg, syncId, jobId);
    await deps.store.putJson(jobKey, job);
    zsats.push({ index: group.index, jobKey, sourceVolumeIds: [...group.volumeIds] });
  }
  const blocksPlanned = plans.reduce((n, p) => n + p.blocks.length, 0);
  const pollBudget = zsatPollBudget(zsats.length);
  const { atOnce, boundBy } = await sizeToQuota(input.vpg, zsats.length, deps);
  if (boundBy) deps.log.warn('zSATs at once bounded by the vCPU quota', { boundBy });
  deps.log.info('plan written', { zsats: zsats.length, zsatsAtOnce: atOnce, blocksPlanned, pollBudget });
  return { zsats: zsats.map((z) => ({ ...z, pollBudget })), blocksPlanned, zsatsAtOnce: atOnce, ...(boundBy ? { zsatsBoundBy: boundBy } : {}) };
}
