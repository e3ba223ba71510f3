/**
 * SpawnImporter and PollImporter (one Map iteration per ZImporter): blank target volumes of the source sizes,
 * the importer from the site's ZImporter launch template with its job tag, attach, follow its progress.
 */
import type { ImportJob } from '../workers/agent-job';
import type { ImporterState, PollImporterInput, SpawnImporterInput } from './contract';
import { importProgressKey } from '../store/format';
import { STEP_ENV } from '../step-env';
import { TAG } from '../tags';
import type { WorkerKind } from '../workers/launch';
import { importerPollBudget, importerWaitSeconds } from '../sync/history-budget';
import { FailbackFailed } from './failback-request';
import { markReading } from '../store/checkpoint-readers';
import { failbackReader, readerHorizonSeconds } from './resolve';
import { importClientToken, importerJobId, volumeSizeGiB } from './recovery-plan';
import type { FailbackDepsWith } from './recovery-ports';
import { pollWorker } from '../workers/poll';
import { spawnWorker } from '../workers/spawn';

/** The ZImporter to the shared worker steps: it writes a checkpoint onto blank volumes, counting its blocks as it starts. */
const ZIMPORTER: WorkerKind = { role: 'zimporter', fail: (m) => new FailbackFailed(m), jobName: 'import job', work: 'write', plannedTotal: false };

/** Tags every resource of this failback execution carries, besides ZERTO_TAG/Owner/role. */
export function executionTags(vpg: string, importId: string, checkpointId: string): Record<string, string> {
  return { [TAG.vpg]: vpg, [TAG.executionId]: importId, [TAG.checkpoint]: checkpointId };
}

export async function spawnImporter(input: SpawnImporterInput, deps: FailbackDepsWith<'ec2' | 'store' | 'recovery'>): Promise<ImporterState> {
  const vpg = input.vpg.name;
  const { importId, importer } = input;
  const spawned = await spawnWorker(
    ZIMPORTER,
    {
      index: importer.index,
      jobKey: importer.jobKey,
      // Resolve chose the zone, where the recovered volumes are written, and checked its importer subnet
      locate: async () => ({ availabilityZone: input.availabilityZone }),
      subnets: deps.env.importerSubnets,
      bookkeeping: executionTags(vpg, importId, input.checkpointId),
      volumeToken: (sourceVolumeId) => importClientToken(vpg, importId, `vol-${sourceVolumeId}`),
      // blank, of the source's size and under its KMS key: the agent writes every block the checkpoint holds
      createVolume: async (jobVolume: ImportJob['volumes'][number], target) => {
        const created = await deps.recovery.createBlankVolume({
          sizeGiB: volumeSizeGiB(jobVolume.sizeBytes),
          ...(jobVolume.kmsKeyId ? { kmsKeyId: jobVolume.kmsKeyId } : jobVolume.encrypted ? { encrypted: true } : {}),
          ...target,
        });
        // its agent counts the blocks once it has resolved the checkpoint
        return { volumeId: created.volumeId, blocks: 0 };
      },
      template: { name: deps.env.importerLaunchTemplate, envVar: STEP_ENV.importerLaunchTemplate },
      instanceTypes: deps.env.importerInstanceTypes,
      instanceToken: importClientToken(vpg, importId, `importer-${importer.index}`),
      securityGroupId: deps.env.importerSecurityGroup,
      instanceProfileArn: input.vpg.importerInstanceProfileArn || input.vpg.agentInstanceProfileArn || undefined,
    },
    deps,
  );
  // the source of each target, in the same order: the recovered VMs' volumes are matched to their sources by it
  return { ...spawned.state, sourceVolumeIds: spawned.volumes.map((v) => v.sourceVolumeId) };
}

export async function pollImporter(input: PollImporterInput, deps: FailbackDepsWith<'ec2' | 'store' | 'readers'>): Promise<ImporterState> {
  const { importer, vpg, executionId } = input;
  return pollWorker(
    ZIMPORTER,
    importer,
    {
      vpg,
      progressKey: importProgressKey(vpg.name, input.importId, importerJobId(importer.index)),
      // the importer reads the store: keep this failback's reader record fresh, so compaction leaves its checkpoint alone
      everyPoll: executionId
        ? () => markReading(deps, vpg.name, failbackReader({ executionId }, input.importId), input.checkpointId, readerHorizonSeconds(vpg.pollSeconds))
        : undefined,
      // past its share of the history its waits grow (history-budget.ts)
      pace: (ordinaryWait) => {
        const polls = (importer.polls ?? 0) + 1;
        return { waitSeconds: importerWaitSeconds(ordinaryWait, polls, importerPollBudget(input.importerCount ?? 1)), extra: { polls } };
      },
    },
    deps,
  );
}
