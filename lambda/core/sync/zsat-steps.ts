/** SpawnZsat and PollZsat: one Map iteration per zSAT — volumes from the new snapshots, the instance, attach, progress. */
import type { AgentProgress, BlockPlan, ReadJob } from '../agent-job';
import { attachAgentVolumes } from '../agent-volumes';
import { NotFound, NotOurs, SyncFailed } from '../errors';
import { syncProgressKey } from '../replica-format';
import { launchWorker } from '../worker-launch';
import type { ProtectedVolume, VpgRuntime, ZsatAssignment, ZsatState } from '../sync-contract';
import { executionName, zsatInstanceClientToken, zsatJobId, zsatVolumeClientToken } from '../sync-ids';
import { isOurs, TAG, tagsFor } from '../tags';
import { MIN_WAIT_SECONDS, zsatWaitSeconds } from '../wait-policy';
import { placementIn } from '../worker-subnets';
import type { StepDepsWith } from './step-deps';

/** A zSAT step talks to EC2 (volumes, the instance) and the store (its job, its progress). */
type ZsatStepDeps = StepDepsWith<'ec2' | 'store'>;

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

async function ourLaunchTemplate(deps: ZsatStepDeps): Promise<string> {
  const name = deps.env.zsatLaunchTemplate;
  const template = await deps.ec2.findLaunchTemplate(name);
  if (!template) throw new NotFound(`the zSAT launch template ${name} does not exist`);
  if (!isOurs(template.tags, deps.env.siteId)) {
    throw new NotOurs(`launch template ${name} (${template.launchTemplateId}) is not tagged as site ${deps.env.siteId}'s: refusing to launch from it`);
  }
  return template.launchTemplateId;
}

export async function spawnZsat(input: SpawnZsatInput, deps: ZsatStepDeps): Promise<ZsatPollState> {
  const { siteId, bucket } = deps.env;
  const vpg = input.vpg.name;
  const { syncId, zsat } = input;
  const job = await deps.store.getJson<ReadJob>(zsat.jobKey);
  if (!job) throw new SyncFailed(`the read job ${zsat.jobKey} is missing from the store`);
  const zones = await sourceZones(input, deps);
  const zone = zones.get(input.zsat.sourceVolumeIds[0] ?? '');
  if (!zone) throw new SyncFailed(`zSAT ${zsat.index} has no volume to read, or its zone is unknown`);
  // before anything is created: a zone without a subnet fails here, naming the config key (Plan checked it too)
  const placement = await placementIn(zone, deps.env.zsatSubnets, deps.ec2, deps.env.region ?? 'this region', (m) => new SyncFailed(m));
  const bookkeeping = { [TAG.vpg]: vpg, [TAG.syncId]: syncId, ...(input.executionId ? { [TAG.executionId]: executionName(input.executionId) } : {}) };

  const volumes = [];
  let blocksTotal = 0;
  for (const jobVolume of job.volumes) {
    const plan = await deps.store.getJson<BlockPlan>(jobVolume.planKey);
    if (!plan) throw new SyncFailed(`the block plan ${jobVolume.planKey} is missing from the store`);
    if (zones.get(jobVolume.sourceVolumeId) !== zone) {
      throw new SyncFailed(`volume ${jobVolume.sourceVolumeId} is not in ${zone} with the other volumes of zSAT ${zsat.index}; a zSAT reads the volumes of one zone`);
    }
    const created = await deps.ec2.createVolume({
      snapshotId: plan.snapshotId,
      availabilityZone: zone,
      clientToken: zsatVolumeClientToken(syncId, jobVolume.sourceVolumeId),
      tags: tagsFor(siteId, 'zsat', 'volume', { ...bookkeeping, [TAG.sourceVolume]: jobVolume.sourceVolumeId }),
    });
    volumes.push({ ...jobVolume, volumeId: created.volumeId });
    blocksTotal += plan.blocks.length;
  }
  await deps.store.putJson(zsat.jobKey, { ...job, volumes });

  const instance = await launchWorker(
    {
      role: 'zsat',
      index: zsat.index,
      siteId,
      bucket,
      jobKey: zsat.jobKey,
      launchTemplateId: await ourLaunchTemplate(deps),
      instanceTypes: deps.env.zsatInstanceTypes,
      clientToken: zsatInstanceClientToken(syncId, zsat.index),
      placement,
      securityGroupId: deps.env.zsatSecurityGroup,
      instanceProfileArn: input.vpg.agentInstanceProfileArn || undefined,
      bookkeeping,
    },
    deps,
  );
  deps.log.info('zSAT launched', { index: zsat.index, instanceId: instance.instanceId, volumes: volumes.map((v) => v.volumeId) });
  return {
    index: zsat.index,
    done: false,
    // Short first wait: the volumes are attached as soon as they and the instance are ready.
    waitSeconds: MIN_WAIT_SECONDS,
    instanceId: instance.instanceId,
    volumeIds: volumes.map((v) => v.volumeId),
    blocksDone: 0,
    blocksTotal,
    launchedAt: instance.launchTime || deps.now().toISOString(),
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
