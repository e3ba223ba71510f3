/** SpawnZsat and PollZsat: one Map iteration per zSAT — volumes from the new snapshots, the instance, attach, progress. */
import type { BlockPlan, ReadJob } from '../workers/agent-job';
import { SyncFailed } from '../errors';
import { syncProgressKey } from '../store/format';
import type { PollZsatInput, SpawnZsatInput, ZsatState } from './contract';
import { STEP_ENV } from '../step-env';
import { executionName, zsatInstanceClientToken, zsatJobId, zsatVolumeClientToken } from './ids';
import { TAG } from '../tags';
import type { WorkerKind } from '../workers/launch';
import { pollWorker } from '../workers/poll';
import { spawnWorker } from '../workers/spawn';
import type { StepDepsWith } from './deps';

/** A zSAT step talks to EC2 (volumes, the instance) and the store (its job, its progress). */
type ZsatStepDeps = StepDepsWith<'ec2' | 'store'>;

/** The zSAT to the shared worker steps: it reads the planned blocks off volumes made from the new snapshots. */
const ZSAT: WorkerKind = { role: 'zsat', fail: (m) => new SyncFailed(m), jobName: 'read job', work: 'read', plannedTotal: true };

/** ZsatState plus when the instance was launched: the heartbeat timeout runs from there until the first progress. */
export type ZsatPollState = ZsatState & { readonly launchedAt?: string };

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
  return { ...spawned.state, polls: 0, ...(zsat.pollBudget !== undefined ? { pollBudget: zsat.pollBudget } : {}) };
}

export async function pollZsat(input: PollZsatInput, deps: ZsatStepDeps): Promise<ZsatPollState> {
  const { vpg, syncId } = input;
  // every poll counts towards the hand-over, one that does not see the instance yet too
  const polls = (input.zsat.polls ?? 0) + 1;
  const zsat = { ...input.zsat, polls };
  // Its share of this execution's history is spent: the iteration ends and the sync continues as a new
  // execution (sync/continue.ts) while the agent reads on; the instance does not depend on the execution.
  const handOver = zsat.pollBudget !== undefined && polls >= zsat.pollBudget;
  return pollWorker(
    ZSAT,
    zsat,
    {
      vpg,
      progressKey: syncProgressKey(vpg.name, syncId, zsatJobId(syncId, zsat.index)),
      pace: (ordinaryWait) => ({ waitSeconds: ordinaryWait, extra: handOver ? { handOver: true } : {} }),
    },
    deps,
  );
}
