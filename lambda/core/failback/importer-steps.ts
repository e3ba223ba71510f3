/**
 * SpawnImporter and PollImporter (one Map iteration per ZImporter): blank target volumes of the source sizes,
 * the importer from the site's ZImporter launch template with its job tag, attach, follow its progress.
 */
import type { AgentProgress, ImportJob } from '../agent-job';
import { attachAgentVolumes } from '../agent-volumes';
import { NotFound, NotOurs } from '../errors';
import type { ImporterAssignment, ImporterState } from '../failback-contract';
import { importProgressKey } from '../replica-format';
import { launchWorker } from '../worker-launch';
import type { VpgRuntime } from '../sync-contract';
import { isOurs, TAG, tagsFor } from '../tags';
import { MIN_WAIT_SECONDS, zsatWaitSeconds } from '../wait-policy';
import { importerPollBudget, importerWaitSeconds } from '../sync/history-budget';
import { FailbackFailed } from './failback-request';
import { markReading } from '../checkpoint-readers';
import { failbackReader, readerHorizonSeconds } from './resolve-steps';
import { importClientToken, importerJobId, volumeSizeGiB } from './recovery-plan';
import type { FailbackDepsWith } from './recovery-ports';
import { placementIn } from '../worker-subnets';

export interface SpawnImporterInput {
  readonly vpg: VpgRuntime;
  /** The failback execution (the Map's ItemSelector passes it; absent in older inputs). */
  readonly executionId?: string;
  readonly importId: string;
  readonly checkpointId: string;
  readonly availabilityZone: string;
  readonly importer: ImporterAssignment;
}

async function importerLaunchTemplate(deps: FailbackDepsWith<'ec2'>): Promise<string> {
  const name = deps.env.importerLaunchTemplate;
  if (!name) throw new FailbackFailed('the step environment names no ZImporter launch template (LIFEBOAT_IMPORTER_LAUNCH_TEMPLATE)');
  const template = await deps.ec2.findLaunchTemplate(name);
  if (!template) throw new NotFound(`the ZImporter launch template ${name} does not exist`);
  if (!isOurs(template.tags, deps.env.siteId)) {
    throw new NotOurs(`launch template ${name} (${template.launchTemplateId}) is not tagged as site ${deps.env.siteId}'s: refusing to launch from it`);
  }
  return template.launchTemplateId;
}

/** Tags every resource of this failback execution carries, besides ZERTO_TAG/Owner/role. */
export function executionTags(vpg: string, importId: string, checkpointId: string): Record<string, string> {
  return { [TAG.vpg]: vpg, [TAG.executionId]: importId, [TAG.checkpoint]: checkpointId };
}

export async function spawnImporter(input: SpawnImporterInput, deps: FailbackDepsWith<'ec2' | 'store' | 'recovery'>): Promise<ImporterState> {
  const { siteId, bucket } = deps.env;
  const vpg = input.vpg.name;
  const { importId, importer, availabilityZone: zone } = input;
  const job = await deps.store.getJson<ImportJob>(importer.jobKey);
  if (!job) throw new FailbackFailed(`the import job ${importer.jobKey} is missing from the store`);
  const bookkeeping = executionTags(vpg, importId, input.checkpointId);
  // before the target volumes exist: a zone without an importer subnet fails naming the config key (Resolve checked it too)
  const placement = await placementIn(zone, deps.env.importerSubnets, deps.ec2, deps.env.region ?? 'this region', (m) => new FailbackFailed(m));

  const volumes = [];
  for (const jobVolume of job.volumes) {
    const created = await deps.recovery.createBlankVolume({
      sizeGiB: volumeSizeGiB(jobVolume.sizeBytes),
      ...(jobVolume.kmsKeyId ? { kmsKeyId: jobVolume.kmsKeyId } : {}),
      availabilityZone: zone,
      clientToken: importClientToken(vpg, importId, `vol-${jobVolume.sourceVolumeId}`),
      tags: tagsFor(siteId, 'zimporter', 'volume', { ...bookkeeping, [TAG.sourceVolume]: jobVolume.sourceVolumeId }),
    });
    volumes.push({ ...jobVolume, volumeId: created.volumeId });
  }
  await deps.store.putJson(importer.jobKey, { ...job, volumes });

  const instance = await launchWorker(
    {
      role: 'zimporter',
      index: importer.index,
      siteId,
      bucket,
      jobKey: importer.jobKey,
      launchTemplateId: await importerLaunchTemplate(deps),
      instanceTypes: deps.env.importerInstanceTypes,
      clientToken: importClientToken(vpg, importId, `importer-${importer.index}`),
      placement,
      securityGroupId: deps.env.importerSecurityGroup,
      instanceProfileArn: input.vpg.importerInstanceProfileArn || input.vpg.agentInstanceProfileArn || undefined,
      bookkeeping,
    },
    deps,
  );
  deps.log.info('ZImporter launched', { index: importer.index, instanceId: instance.instanceId, volumes: volumes.map((v) => v.volumeId) });
  return {
    index: importer.index,
    done: false,
    waitSeconds: MIN_WAIT_SECONDS,
    instanceId: instance.instanceId,
    volumeIds: volumes.map((v) => v.volumeId),
    sourceVolumeIds: volumes.map((v) => v.sourceVolumeId),
    blocksDone: 0,
    blocksTotal: 0,
    launchedAt: instance.launchTime || deps.now().toISOString(),
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
