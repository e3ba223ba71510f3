/** Resolve (validate the request, pick the checkpoint) and Prepare (group the checkpoint's volumes into importers, write their jobs). */
import type { FailbackInit, ImportVolumePlan, PrepareInput, PrepareOutput, ResolveOutput } from './contract';
import { placementIn } from '../workers/subnets';
import type { ImportJob } from '../workers/agent-job';
import { agentHeartbeatSeconds } from '../sync/plan';
import { importJobKey, importLaunchKey, importProgressKey, importResultKey, vpgPrefix } from '../store/format';
import type { CheckpointSummary } from '../store/port';
import type { SyncFacts } from '../store/instance-facts';
import { launchPathOf } from './recovered-image';
import { effectiveTarget, FailbackFailed, FailbackInputError, parseFailbackRequest, resolveCheckpoint } from './failback-request';
import { groupImportVolumes, importerJobId, importIdFor } from './recovery-plan';
import type { FailbackDepsWith } from './recovery-ports';
import { beginReading, markReading, type ReaderIdentity } from '../store/checkpoint-readers';
import { currentLease } from '../lease/lease-guard';
import { leaseHorizonSeconds } from '../lease/vpg-lease';
import { maxWaitSeconds } from '../workers/wait-policy';
import { oneLiveFailbackCause } from './live';
import { recoveredEncryption, recoveryZone } from './recovery-site';

/** How long a failback's reader record lasts between renewals (every poll of an importer renews it). */
export function readerHorizonSeconds(pollSeconds: number): number {
  return leaseHorizonSeconds(maxWaitSeconds(pollSeconds));
}

/** This failback as a reader of the store: its import id names its record. */
export function failbackReader(input: { executionId: string }, importId: string): ReaderIdentity {
  return { id: importId, kind: 'failback', executionArn: input.executionId };
}

/** A second live failback is refused at once, naming the one that runs (StopSources decides races: one lease). */
async function refuseSecondLiveFailback(input: FailbackInit, deps: FailbackDepsWith<'lease' | 'executions'>): Promise<void> {
  const lease = await currentLease(deps, input.vpg.name);
  const holder = lease?.holder;
  if (!holder || holder.kind !== 'failback' || holder.executionArn === input.executionId) return;
  if ((await deps.executions.state(holder.executionArn)) === 'ended') return;
  throw new FailbackFailed(oneLiveFailbackCause(input.vpg.name, holder.executionArn));
}

export async function resolveFailback(
  input: FailbackInit,
  deps: FailbackDepsWith<'store' | 'readers' | 'lease' | 'executions' | 'recovery'>,
): Promise<ResolveOutput> {
  const request = parseFailbackRequest(input.request);
  const vpg = input.vpg.name;
  const target = effectiveTarget(input.recovery, request.target);
  if (target.subnetId && !(await deps.recovery.subnetZone(target.subnetId))) {
    throw new FailbackInputError(`target.subnetId: subnet ${target.subnetId} does not exist in this account and region`);
  }
  const importId = importIdFor(input.executionId);
  if (request.mode === 'live') {
    if (request.checkpoint !== 'latest') {
      throw new FailbackInputError(
        `checkpoint: live mode recovers from the final sync it runs; leave checkpoint out or give "latest" (got ${JSON.stringify(request.checkpoint)})`,
      );
    }
    await refuseSecondLiveFailback(input, deps);
    return { mode: 'live', checkpointId: null, target, importId };
  }
  // register as a reader before looking, so a journal compaction either sees this failback or is seen by it
  const who = failbackReader(input, importId);
  const horizon = readerHorizonSeconds(input.vpg.pollSeconds);
  const { dropping, registeredAt } = await beginReading(deps, vpg, who, horizon);
  if (dropping.has(request.checkpoint)) {
    throw new FailbackInputError(
      `checkpoint: ${request.checkpoint} is past VPG ${vpg}'s journal and being removed by journal compaction right now; choose a newer checkpoint`,
    );
  }
  const usable = (await deps.store.listCheckpoints(vpg)).filter((c) => !dropping.has(c.id));
  const checkpoint = resolveCheckpoint(request.checkpoint, usable, vpg);
  await markReading(deps, vpg, who, checkpoint.id, horizon, registeredAt);
  deps.log.info('checkpoint resolved', { request: request.checkpoint, checkpointId: checkpoint.id, mode: request.mode });
  // a failover reads like a drill (a reader record, never the lease: the protected side may be gone mid-sync) and keeps its VMs
  return { mode: request.mode, checkpointId: checkpoint.id, target, importId };
}

/** Without a recovery subnet the recovered VMs launch in the zone's default subnet, which a landing zone may not have. */
async function requireRecoverySubnet(input: PrepareInput, zone: string, deps: FailbackDepsWith<'ec2'>): Promise<void> {
  if (input.resolve.target.subnetId || (await deps.ec2.defaultSubnet(zone))) return;
  throw new FailbackFailed(
    `no subnet for the recovered VMs in ${zone}: there is no default subnet there (this account has no default VPC in ${deps.env.region ?? 'this region'}); ` +
      `set vpgs[i].recovery.subnetId for VPG ${input.vpg.name} in lifeboat.config.json and deploy again, or give target.subnetId in the failback input`,
  );
}

/** Each volume's KMS key in the recovery region (recovery-site.ts), said in the log when it is not the checkpoint's own. */
async function inRecoveryRegion(volumes: readonly ImportVolumePlan[], deps: FailbackDepsWith<'keys'>): Promise<ImportVolumePlan[]> {
  const out: ImportVolumePlan[] = [];
  for (const { kmsKeyId, ...v } of volumes) {
    if (!kmsKeyId) {
      out.push(v);
      continue;
    }
    const encryption = await recoveredEncryption(kmsKeyId, deps);
    if ('kmsKeyId' in encryption) {
      if (encryption.kmsKeyId !== kmsKeyId) deps.log.info('recovered volume encrypted under the replica of its key', { ...v, kmsKeyId: encryption.kmsKeyId });
      out.push({ ...v, kmsKeyId: encryption.kmsKeyId });
    } else {
      deps.log.warn("recovered volume encrypted with the recovery region's default EBS key", { sourceVolumeId: v.sourceVolumeId, why: encryption.why });
      out.push({ ...v, defaultKey: true });
    }
  }
  return out;
}

/**
 * Which recovered VMs boot from an image of their recovered root (recovered-image.ts), with their launch facts written
 * beside the import's jobs for LaunchRecovered (the payload stays small); the others launch as before, and the log says why.
 */
async function planLaunches(input: PrepareInput, summary: CheckpointSummary, deps: FailbackDepsWith<'store'>): Promise<string[]> {
  const launch: SyncFacts = { format: 1, instances: [], volumes: {} };
  for (const sourceInstanceId of [...new Set(summary.volumes.map((v) => v.sourceInstanceId))].sort()) {
    const facts = summary.instances?.find((i) => i.instanceId === sourceInstanceId);
    const own = summary.volumes.filter((v) => v.sourceInstanceId === sourceInstanceId);
    const path = launchPathOf(
      facts,
      own.map((v) => v.device),
    );
    if (path.kind === 'source' || !facts) {
      deps.log.info('recovered VM launches as before, not from an image of its recovered root', {
        sourceInstanceId,
        why: path.kind === 'source' ? path.why : '',
      });
      continue;
    }
    launch.instances.push(facts);
    for (const v of own)
      launch.volumes[v.sourceVolumeId] = {
        ...(v.volumeType ? { volumeType: v.volumeType } : {}),
        ...(v.iops ? { iops: v.iops } : {}),
        ...(v.throughput ? { throughput: v.throughput } : {}),
      };
  }
  await deps.store.putJson(importLaunchKey(input.vpg.name, input.resolve.importId), launch);
  return launch.instances.map((i) => i.instanceId);
}

export async function prepareImport(input: PrepareInput, deps: FailbackDepsWith<'store' | 'readers' | 'ec2' | 'recovery' | 'keys'>): Promise<PrepareOutput> {
  const vpg = input.vpg.name;
  const checkpointId = input.resolve.checkpointId ?? input.finalSync?.checkpointId;
  if (!checkpointId) throw new FailbackFailed('no checkpoint to recover: the final sync committed none');
  await markReading(deps, vpg, failbackReader(input, input.resolve.importId), checkpointId, readerHorizonSeconds(input.vpg.pollSeconds));
  const summary = (await deps.store.listCheckpoints(vpg)).find((c) => c.id === checkpointId);
  if (!summary) throw new FailbackFailed(`checkpoint ${checkpointId} is no longer in the replica store of VPG ${vpg}`);
  if (summary.volumes.length === 0) throw new FailbackFailed(`checkpoint ${checkpointId} holds no volume`);
  // never a lookup of the sources: in a recovery elsewhere they are of another region (or gone with it)
  const { zone: availabilityZone, from } = await recoveryZone(input.resolve.target.subnetId, deps);
  const volumes = await inRecoveryRegion(
    summary.volumes.map((v) => ({
      sourceVolumeId: v.sourceVolumeId,
      sourceInstanceId: v.sourceInstanceId,
      device: v.device,
      sizeBytes: v.sizeBytes,
      ...(v.kmsKeyId ? { kmsKeyId: v.kmsKeyId } : {}),
    })),
    deps,
  );
  // the importers and the recovered VMs launch there: a zone without a subnet for either fails now, before a volume is created
  await requireRecoverySubnet(input, availabilityZone, deps);
  await placementIn(
    availabilityZone,
    deps.env.importerSubnets,
    deps.ec2,
    deps.env.region ?? 'this region',
    (m) => new FailbackFailed(`no ZImporter can launch: ${m}`),
  );
  const { importId } = input.resolve;
  const sizes = new Map(volumes.map((v) => [v.sourceVolumeId, v.sizeBytes]));
  const byId = new Map(volumes.map((v) => [v.sourceVolumeId, v]));
  const importers = [];
  for (const group of groupImportVolumes(volumes, input.recovery.volumesPerImporter)) {
    const jobId = importerJobId(group.index);
    const jobKey = importJobKey(vpg, importId, jobId);
    const job: ImportJob = {
      kind: 'import',
      jobId,
      vpg,
      executionId: importId,
      store: { bucket: deps.env.bucket, prefix: vpgPrefix(vpg) },
      progressKey: importProgressKey(vpg, importId, jobId),
      resultKey: importResultKey(vpg, importId, jobId),
      heartbeatSeconds: agentHeartbeatSeconds(input.vpg),
      // volumeId is filled in by SpawnImporter once the target volume exists
      volumes: group.sourceVolumeIds.map((id) => ({
        volumeId: '',
        sourceVolumeId: id,
        sizeBytes: sizes.get(id)!,
        checkpointId,
        blank: true,
        ...(byId.get(id)?.kmsKeyId ? { kmsKeyId: byId.get(id)!.kmsKeyId } : {}),
        ...(byId.get(id)?.defaultKey ? { encrypted: true } : {}),
      })),
    };
    await deps.store.putJson(jobKey, job);
    importers.push({ index: group.index, jobKey, sourceVolumeIds: group.sourceVolumeIds });
  }
  const launchFromImage = await planLaunches(input, summary, deps);
  deps.log.info('import prepared', { checkpointId, availabilityZone, zoneFrom: from, importers: importers.length, volumes: volumes.length, launchFromImage });
  return { checkpointId, checkpointTime: summary.createdAt, availabilityZone, volumes, importers, launchFromImage };
}
