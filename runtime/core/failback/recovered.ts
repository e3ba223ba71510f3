/**
 * SnapshotVolumes (one snapshot per written volume, tagged at creation, found again by its tags on a retry)
 * and LaunchRecovered (one recovered VM at a time in boot order, each from the snapshots of its volumes
 * mapped to their original device names; the next starts once the previous one runs).
 */
import type { SnapshotVolumesInput, LaunchInput } from './contract';
import { DEFAULT_RECOVERED_INSTANCE_TYPE, TEST_EXPIRY_HOURS, type LaunchOutput, type SnapshotVolumesOutput } from './contract';
import { TAG, tagsFor } from '../tags';
import { MIN_WAIT_SECONDS, snapshotWaitSeconds } from '../workers/wait-policy';
import { FailbackFailed } from './failback-request';
import { executionTags } from './importers';
import { bootSequence, importClientToken, recoveredInstanceType } from './recovery-plan';
import type { FailbackDepsWith } from './recovery-ports';

export async function snapshotVolumes(input: SnapshotVolumesInput, deps: FailbackDepsWith<'ec2' | 'recovery'>): Promise<SnapshotVolumesOutput> {
  const vpg = input.vpg.name;
  const { importId } = input.resolve;
  const bookkeeping = executionTags(vpg, importId, input.prepare.checkpointId);
  const snapshots: Record<string, string> = { ...(input.snapshots?.snapshots ?? {}) };
  const written = input.importers.flatMap((imp) => imp.volumeIds.map((volumeId, i) => ({ volumeId, sourceVolumeId: imp.sourceVolumeIds[i] })));
  for (const { volumeId, sourceVolumeId } of written) {
    if (snapshots[sourceVolumeId]) continue;
    const tags = { ...bookkeeping, [TAG.sourceVolume]: sourceVolumeId };
    // a retried step finds the snapshot its first attempt made (CreateSnapshot takes no client token)
    const existing = (await deps.ec2.describeSnapshots({ tags: { ...tags, [TAG.owner]: deps.env.siteId } })).find((s) => s.volumeId === volumeId);
    // the table gives snapshots of importer volumes the volume's ZERTO_TAG (ZERTO_EBS_RESOURCE)
    snapshots[sourceVolumeId] =
      existing?.snapshotId ??
      (await deps.recovery.createSnapshot(
        volumeId,
        tagsFor(deps.env.siteId, 'zimporter', 'volume', tags),
        `Lifeboat recovery of ${sourceVolumeId} at ${input.prepare.checkpointId}`,
      ));
  }
  const found = await deps.ec2.describeSnapshots({ ids: Object.values(snapshots) });
  const failed = found.find((s) => s.state === 'error');
  if (failed) throw new FailbackFailed(`snapshot ${failed.snapshotId} of recovered volume ${failed.volumeId} failed: ${failed.stateMessage ?? 'error'}`);
  const pending = found.filter((s) => s.state !== 'completed');
  const ready = pending.length === 0 && found.length === Object.keys(snapshots).length;
  return { ready, waitSeconds: snapshotWaitSeconds(pending, deps.now(), input.vpg.pollSeconds), snapshots };
}

async function launchOne(input: LaunchInput, sourceInstanceId: string, deps: FailbackDepsWith<'recovery'>): Promise<string> {
  const { resolve, prepare, recovery } = input;
  const { siteId } = deps.env;
  const [source] = await deps.recovery.instanceDetails([sourceInstanceId]);
  const image = await deps.recovery.launchImage(source?.imageId ? [source.imageId] : []);
  if (!image)
    throw new FailbackFailed(`no image to launch recovered VM of ${sourceInstanceId} from (the source's image is gone and no Amazon Linux image is visible)`);
  const devices = prepare.volumes
    .filter((v) => v.sourceInstanceId === sourceInstanceId)
    .map((v) => {
      const snapshotId = input.snapshots.snapshots[v.sourceVolumeId];
      if (!snapshotId) throw new FailbackFailed(`volume ${v.sourceVolumeId} of ${sourceInstanceId} has no recovered snapshot`);
      return { device: v.device, snapshotId };
    });
  const extra = {
    ...executionTags(input.vpg.name, resolve.importId, prepare.checkpointId),
    [TAG.sourceInstance]: sourceInstanceId,
    ...(resolve.mode === 'test' ? { [TAG.testExpiresAt]: new Date(deps.now().getTime() + TEST_EXPIRY_HOURS * 3600_000).toISOString() } : {}),
  };
  const instanceType = recoveredInstanceType({
    override: resolve.target.instanceType,
    sourceType: source?.instanceType,
    recoveryType: recovery.instanceType,
    fallback: DEFAULT_RECOVERED_INSTANCE_TYPE,
  });
  const launched = await deps.recovery.runRecoveredInstance({
    imageId: image.imageId,
    instanceType,
    subnetId: resolve.target.subnetId,
    securityGroupIds: resolve.target.securityGroupIds,
    privateIp: resolve.target.privateIps?.[sourceInstanceId],
    devices,
    clientToken: importClientToken(input.vpg.name, resolve.importId, `vm-${sourceInstanceId}`),
    instanceTags: tagsFor(siteId, 'recovered-vm', 'instance', extra),
    volumeTags: tagsFor(siteId, 'recovered-vm', 'volume', extra),
    networkInterfaceTags: tagsFor(siteId, 'recovered-vm', 'network-interface', extra),
  });
  deps.log.info('recovered VM launched', { sourceInstanceId, instanceId: launched.instanceId, instanceType, imageId: image.imageId, devices });
  return launched.instanceId;
}

export async function launchRecovered(input: LaunchInput, deps: FailbackDepsWith<'ec2' | 'recovery'>): Promise<LaunchOutput> {
  const sequence = bootSequence([...new Set(input.prepare.volumes.map((v) => v.sourceInstanceId))], input.recovery.bootOrder ?? []);
  const launched = [...(input.launch?.launched ?? [])];
  const last = launched[launched.length - 1];
  if (last) {
    const [instance] = await deps.ec2.describeInstances({ ids: [last.instanceId] });
    if (instance && ['shutting-down', 'terminated', 'stopping', 'stopped'].includes(instance.state)) {
      throw new FailbackFailed(`recovered VM ${last.instanceId} (of ${last.sourceInstanceId}) is ${instance.state} instead of booting`);
    }
    // not visible yet, or still pending: the next one boots after it
    if (instance?.state !== 'running') return { done: false, waitSeconds: MIN_WAIT_SECONDS, launched };
  }
  const next = sequence[launched.length];
  if (next === undefined) return { done: true, waitSeconds: MIN_WAIT_SECONDS, launched };
  launched.push({ sourceInstanceId: next, instanceId: await launchOne(input, next, deps) });
  return { done: false, waitSeconds: MIN_WAIT_SECONDS, launched };
}
