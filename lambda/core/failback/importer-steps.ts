/**
 * SpawnImporter and PollImporter (one Map iteration per ZImporter): blank target volumes of the source sizes,
 * the importer from the site's ZImporter launch template with its job tag, attach, follow its progress.
 */
import type { AgentProgress, ImportJob } from '../agent-job';
import { attachAgentVolumes } from '../agent-volumes';
import { NotOurs } from '../errors';
import type { ImporterAssignment, ImporterState } from '../failback-contract';
import { importProgressKey } from '../replica-format';
import { STEP_ENV, type VpgRuntime } from '../sync-contract';
import { isOurs, TAG } from '../tags';
import { MIN_WAIT_SECONDS, zsatWaitSeconds } from '../wait-policy';
import type { WorkerKind } from '../worker-launch';
import { importerPollBudget, importerWaitSeconds } from '../sync/history-budget';
import { FailbackFailed } from './failback-request';
import { markReading } from '../checkpoint-readers';
import { failbackReader, readerHorizonSeconds } from './resolve-steps';
import { importClientToken, importerJobId, volumeSizeGiB } from './recovery-plan';
import type { FailbackDepsWith } from './recovery-ports';
import { spawnWorker } from '../worker-spawn';

/** The ZImporter to the shared worker steps: it writes a checkpoint onto blank volumes, counting its blocks as it starts. */
const ZIMPORTER: WorkerKind = { role: 'zimporter', fail: (m) => new FailbackFailed(m), jobName: 'import job' };

export interface SpawnImporterInput {
  readonly vpg: VpgRuntime;
  /** The failback execution (the Map's ItemSelector passes it; absent in older inputs). */
  readonly executionId?: string;
  readonly importId: string;
  readonly checkpointId: string;
  readonly availabilityZone: string;
  readonly importer: ImporterAssignment;
}

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
          ...(jobVolume.kmsKeyId ? { kmsKeyId: jobVolume.kmsKeyId } : {}),
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
  return {
    index: importer.index,
    done: false,
    waitSeconds: MIN_WAIT_SECONDS,
    instanceId: spawned.instanceId,
    volumeIds: spawned.volumes.map((v) => v.volumeId),
    sourceVolumeIds: spawned.volumes.map((v) => v.sourceVolumeId),
    blocksDone: 0,
    blocksTotal: 0,
    launchedAt: spawned.launchedAt,
  };
}

export interface PollImporterInput extends Omit<SpawnImporterInput, 'importer'> {
  readonly importer: ImporterState;
  /** Importers of this failback's Map, which share its history (absent in older inputs: counted as one). */
  readonly importerCount?: number;
}

export async function pollImporter(input: PollImporterInput, deps: FailbackDepsWith<'ec2' | 'store' | 'readers'>): Promise<ImporterState> {
  const { importer, vpg } = input;
  const now = deps.now();
  const timeoutMs = vpg.heartbeatTimeoutSeconds * 1000;
  const [instance] = await deps.ec2.describeInstances({ ids: [importer.instanceId] });
  const launchedAt = importer.launchedAt ?? instance?.launchTime ?? now.toISOString();
  if (!instance) {
    if (now.getTime() - Date.parse(launchedAt) > timeoutMs) throw new FailbackFailed(`ZImporter ${importer.instanceId} has disappeared`);
    return { ...importer, launchedAt, waitSeconds: MIN_WAIT_SECONDS };
  }
  if (!isOurs(instance.tags, deps.env.siteId, vpg.name)) throw new NotOurs(`instance ${importer.instanceId} is not a ZImporter of VPG ${vpg.name}`);
  if (['shutting-down', 'terminated', 'stopping', 'stopped'].includes(instance.state)) {
    throw new FailbackFailed(`ZImporter ${importer.instanceId} is ${instance.state} unexpectedly; the write of its volumes did not finish`);
  }
  const attached = instance.state === 'running' && (await attachAgentVolumes({ ...importer, role: 'ZImporter' }, deps, (m) => new FailbackFailed(m)));
  // the importer reads the store: keep this failback's reader record fresh, so compaction leaves its checkpoint alone
  if (input.executionId) await markReading(deps, vpg.name, failbackReader({ executionId: input.executionId }, input.importId), input.checkpointId, readerHorizonSeconds(vpg.pollSeconds));
  const progress = await deps.store.getJson<AgentProgress>(importProgressKey(vpg.name, input.importId, importerJobId(importer.index)));
  if (progress?.state === 'failed') throw new FailbackFailed(`ZImporter ${importer.instanceId} agent failed: ${progress.error ?? 'no error given'}`);
  const blocksDone = progress?.blocksDone ?? 0;
  const blocksTotal = progress?.blocksTotal ?? importer.blocksTotal;
  if (progress?.state === 'done') {
    // Ended now, not at the end of the failback: it frees its vCPUs for importers waiting on the quota and for the
    // recovered VMs (its volumes stay for their snapshots; it is ours: checked above).
    await deps.ec2.terminateInstances([importer.instanceId]);
    deps.log.info('ZImporter done', { instanceId: importer.instanceId, blocksDone });
    return { ...importer, launchedAt, done: true, waitSeconds: MIN_WAIT_SECONDS, blocksDone, blocksTotal };
  }
  const lastBeat = progress ? Date.parse(progress.updatedAt) : Date.parse(launchedAt);
  if (now.getTime() - lastBeat > timeoutMs) {
    throw new FailbackFailed(`ZImporter ${importer.instanceId} stopped reporting (last heartbeat ${progress?.updatedAt ?? `never; launched ${launchedAt}`})`);
  }
  const ordinaryWait = attached
    ? zsatWaitSeconds({ blocksDone, blocksTotal, launchedAt, agentStartedAt: progress?.startedAt, now, pollSeconds: vpg.pollSeconds, heartbeatTimeoutSeconds: vpg.heartbeatTimeoutSeconds })
    : MIN_WAIT_SECONDS;
  const polls = (importer.polls ?? 0) + 1;
  const waitSeconds = importerWaitSeconds(ordinaryWait, polls, importerPollBudget(input.importerCount ?? 1));
  return { ...importer, launchedAt, done: false, waitSeconds, blocksDone, blocksTotal, polls };
}
