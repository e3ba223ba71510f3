/** SpawnZsat and PollZsat: one Map iteration per zSAT — volumes from the new snapshots, the instance, attach, progress. */
import type { AgentProgress, BlockPlan, ReadJob } from '../agent-job';
import { attachAgentVolumes } from '../agent-volumes';
import { NotOurs, SyncFailed } from '../errors';
import { syncProgressKey } from '../replica-format';
import { STEP_ENV, type ProtectedVolume, type VpgRuntime, type ZsatAssignment, type ZsatState } from '../sync-contract';
import { executionName, zsatInstanceClientToken, zsatJobId, zsatVolumeClientToken } from '../sync-ids';
import { isOurs, TAG } from '../tags';
import { MIN_WAIT_SECONDS, zsatWaitSeconds } from '../wait-policy';
import type { WorkerKind } from '../worker-launch';
import { spawnWorker } from '../worker-spawn';
import type { StepDepsWith } from './step-deps';

/** A zSAT step talks to EC2 (volumes, the instance) and the store (its job, its progress). */
type ZsatStepDeps = StepDepsWith<'ec2' | 'store'>;

/** The zSAT to the shared worker steps: it reads the planned blocks off volumes made from the new snapshots. */
const ZSAT: WorkerKind = { role: 'zsat', fail: (m) => new SyncFailed(m), jobName: 'read job' };

/** ZsatState plus when the instance was launched: the heartbeat timeout runs from there until the first progress. */
export type ZsatPollState = ZsatState & { readonly launchedAt?: string };

export interface SpawnZsatInput {
  readonly vpg: VpgRuntime;
  readonly syncId: string;
  /** The sync execution: its name tags what this zSAT creates (cleanups prove a leftover is this VPG's own). */
  readonly executionId?: string;
  readonly zsat: ZsatAssignment;
  readonly volumes?: readonly ProtectedVolume[];
}

async function sourceZones(input: SpawnZsatInput, deps: ZsatStepDeps): Promise<Map<string, string>> {
  const zones = new Map((input.volumes ?? []).map((v) => [v.volumeId, v.availabilityZone]));
  const unknown = input.zsat.sourceVolumeIds.filter((id) => !zones.has(id));
  if (unknown.length > 0) for (const v of await deps.ec2.describeVolumes({ ids: unknown })) zones.set(v.volumeId, v.availabilityZone);
  return zones;
}

export async function spawnZsat(input: SpawnZsatInput, deps: ZsatStepDeps): Promise<ZsatPollState> {
  const { syncId, zsat } = input;
  const { fail } = ZSAT;
  const spawned = await spawnWorker(
    ZSAT,
    {
      index: zsat.index,
      jobKey: zsat.jobKey,
      locate: async () => {
        const zones = await sourceZones(input, deps);
        const zone = zones.get(zsat.sourceVolumeIds[0] ?? '');
        if (!zone) throw fail(`zSAT ${zsat.index} has no volume to read, or its zone is unknown`);
        return { availabilityZone: zone, zones };
      },
      subnets: deps.env.zsatSubnets,
      bookkeeping: { [TAG.vpg]: input.vpg.name, [TAG.syncId]: syncId, ...(input.executionId ? { [TAG.executionId]: executionName(input.executionId) } : {}) },
      volumeToken: (sourceVolumeId) => zsatVolumeClientToken(syncId, sourceVolumeId),
      // from the new snapshot: the agent reads the planned blocks off the volume
      createVolume: async (jobVolume: ReadJob['volumes'][number], target, { availabilityZone: zone, zones }) => {
        const plan = await deps.store.getJson<BlockPlan>(jobVolume.planKey);
        if (!plan) throw fail(`the block plan ${jobVolume.planKey} is missing from the store`);
        if (zones.get(jobVolume.sourceVolumeId) !== zone) {
          throw fail(`volume ${jobVolume.sourceVolumeId} is not in ${zone} with the other volumes of zSAT ${zsat.index}; a zSAT reads the volumes of one zone`);
        }
        const created = await deps.ec2.createVolume({ snapshotId: plan.snapshotId, ...target });
        return { volumeId: created.volumeId, blocks: plan.blocks.length };
      },
      template: { name: deps.env.zsatLaunchTemplate, envVar: STEP_ENV.zsatLaunchTemplate },
      instanceTypes: deps.env.zsatInstanceTypes,
      instanceToken: zsatInstanceClientToken(syncId, zsat.index),
      securityGroupId: deps.env.zsatSecurityGroup,
      instanceProfileArn: input.vpg.agentInstanceProfileArn || undefined,
    },
    deps,
  );
  return {
    index: zsat.index,
    done: false,
    // Short first wait: the volumes are attached as soon as they and the instance are ready.
    waitSeconds: MIN_WAIT_SECONDS,
    instanceId: spawned.instanceId,
    volumeIds: spawned.volumes.map((v) => v.volumeId),
    blocksDone: 0,
    blocksTotal: spawned.blocksTotal,
    launchedAt: spawned.launchedAt,
    polls: 0,
    ...(zsat.pollBudget !== undefined ? { pollBudget: zsat.pollBudget } : {}),
  };
}

export interface PollZsatInput {
  readonly vpg: VpgRuntime;
  readonly syncId: string;
  readonly zsat: ZsatPollState;
}

export async function pollZsat(input: PollZsatInput, deps: ZsatStepDeps): Promise<ZsatPollState> {
  const { vpg } = input;
  const polls = (input.zsat.polls ?? 0) + 1;
  const zsat = { ...input.zsat, polls };
  const now = deps.now();
  const timeoutMs = vpg.heartbeatTimeoutSeconds * 1000;
  const [instance] = await deps.ec2.describeInstances({ ids: [zsat.instanceId] });
  const launchedAt = zsat.launchedAt ?? instance?.launchTime ?? now.toISOString();
  if (!instance) {
    // Right after RunInstances, Describe may not see the instance yet: tolerated up to the heartbeat timeout.
    if (now.getTime() - Date.parse(launchedAt) > timeoutMs) throw new SyncFailed(`zSAT ${zsat.instanceId} has disappeared`);
    return { ...zsat, launchedAt, waitSeconds: MIN_WAIT_SECONDS };
  }
  if (!isOurs(instance.tags, deps.env.siteId, vpg.name)) throw new NotOurs(`instance ${zsat.instanceId} is not a zSAT of VPG ${vpg.name}`);
  if (['shutting-down', 'terminated', 'stopping', 'stopped'].includes(instance.state)) {
    throw new SyncFailed(`zSAT ${zsat.instanceId} is ${instance.state} unexpectedly; the read of its volumes did not finish`);
  }
  const attached = instance.state === 'running' && (await attachAgentVolumes({ ...zsat, role: 'zSAT' }, deps, (m) => new SyncFailed(m)));

  const progressKey = syncProgressKey(vpg.name, input.syncId, zsatJobId(input.syncId, zsat.index));
  const progress = await deps.store.getJson<AgentProgress>(progressKey);
  if (progress?.state === 'failed') throw new SyncFailed(`zSAT ${zsat.instanceId} agent failed: ${progress.error ?? 'no error given'}`);
  const blocksDone = progress?.blocksDone ?? 0;
  const blocksTotal = progress?.blocksTotal || zsat.blocksTotal;
  if (progress?.state === 'done') {
    // Ended now, not at Cleanup: it stops billing and frees its vCPUs for the zSATs still waiting on the quota
    // (its volumes stay for Cleanup; it is ours: checked above).
    await deps.ec2.terminateInstances([zsat.instanceId]);
    deps.log.info('zSAT done', { instanceId: zsat.instanceId, blocksDone });
    return { ...zsat, launchedAt, done: true, waitSeconds: MIN_WAIT_SECONDS, blocksDone, blocksTotal };
  }
  const lastBeat = progress ? Date.parse(progress.updatedAt) : Date.parse(launchedAt);
  if (now.getTime() - lastBeat > timeoutMs) {
    if (progress) throw new SyncFailed(`zSAT ${zsat.instanceId} stopped reporting (last heartbeat ${progress.updatedAt})`);
    // never reported: its boot did not reach the agent, most often for want of a path to S3 from its subnet
    throw new SyncFailed(
      `zSAT ${zsat.instanceId} never reported (launched ${launchedAt}, heartbeat timeout ${vpg.heartbeatTimeoutSeconds} s): its boot did not reach the agent. ` +
        `Its console output says how far it got (aws ec2 get-console-output --instance-id ${zsat.instanceId}); lifeboat doctor checks that its subnet reaches S3`,
    );
  }
  const waitSeconds = attached
    ? zsatWaitSeconds({ blocksDone, blocksTotal, launchedAt, agentStartedAt: progress?.startedAt, now, pollSeconds: vpg.pollSeconds, heartbeatTimeoutSeconds: vpg.heartbeatTimeoutSeconds })
    : MIN_WAIT_SECONDS;
  // Its share of this execution's history is spent: the iteration ends and the sync continues as a new
  // execution (continue-step.ts) while the agent reads on; the instance does not depend on the execution.
  const handOver = zsat.pollBudget !== undefined && polls >= zsat.pollBudget;
  return { ...zsat, launchedAt, done: false, waitSeconds, blocksDone, blocksTotal, ...(handOver ? { handOver: true } : {}) };
}
