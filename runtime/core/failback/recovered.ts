/**
 * SnapshotVolumes (one snapshot per written volume, tagged at creation, found again by its tags on a retry)
 * and LaunchRecovered (one recovered VM at a time in boot order, the next once the previous one runs): from an image
 * registered from its recovered snapshots (recovered-image.ts), or, without launch facts, as before: the source's
 * image (or a stock one) with the snapshots mapped to their original device names.
 */
import type { SnapshotVolumesInput, LaunchInput } from './contract';
import { DEFAULT_RECOVERED_INSTANCE_TYPE, TEST_EXPIRY_HOURS, type LaunchOutput, type SnapshotVolumesOutput } from './contract';
import { TAG, tagsFor } from '../tags';
import { MIN_WAIT_SECONDS, snapshotWaitSeconds } from '../workers/wait-policy';
import { FailbackFailed } from './failback-request';
import { executionTags } from './importers';
import { bootSequence, importClientToken, recoveredInstanceType } from './recovery-plan';
import type { FailbackDepsWith, RecoveredDevice } from './recovery-ports';
import { imageDevices, recoveredImage, withSourceTags } from './recovered-image';
import { syncFactsSchema, type SyncFacts } from '../store/instance-facts';
import { importLaunchKey } from '../store/format';

/** Tags every resource of a recovered VM carries besides ZERTO_TAG/Owner/role: its execution, source, mode and (test) expiry. */
export function recoveredTags(input: SnapshotVolumesInput, sourceInstanceId: string, now: Date): Record<string, string> {
  return {
    ...executionTags(input.vpg.name, input.resolve.importId, input.prepare.checkpointId),
    [TAG.sourceInstance]: sourceInstanceId,
    [TAG.recoveryMode]: input.resolve.mode,
    ...(input.resolve.mode === 'test' ? { [TAG.testExpiresAt]: new Date(now.getTime() + TEST_EXPIRY_HOURS * 3600_000).toISOString() } : {}),
  };
}

export async function snapshotVolumes(input: SnapshotVolumesInput, deps: FailbackDepsWith<'ec2' | 'recovery'>): Promise<SnapshotVolumesOutput> {
  const vpg = input.vpg.name;
  const { importId } = input.resolve;
  const bookkeeping = executionTags(vpg, importId, input.prepare.checkpointId);
  const instanceOf = new Map(input.prepare.volumes.map((v) => [v.sourceVolumeId, v.sourceInstanceId]));
  const fromImage = new Set(input.prepare.launchFromImage ?? []);
  const snapshots: Record<string, string> = { ...(input.snapshots?.snapshots ?? {}) };
  const written = input.importers.flatMap((imp) => imp.volumeIds.map((volumeId, i) => ({ volumeId, sourceVolumeId: imp.sourceVolumeIds[i] })));
  for (const { volumeId, sourceVolumeId } of written) {
    if (snapshots[sourceVolumeId]) continue;
    const tags = { ...bookkeeping, [TAG.sourceVolume]: sourceVolumeId };
    // a retried step finds the snapshot its first attempt made (CreateSnapshot takes no client token)
    const existing = (await deps.ec2.describeSnapshots({ tags: { ...tags, [TAG.owner]: deps.env.siteId } })).find((s) => s.volumeId === volumeId);
    // the table gives snapshots their volume's ZERTO_TAG (ZERTO_EBS_RESOURCE); one an image will boot from is the
    // recovered VM's (it stays with the image), the others are the importers' (Finish deletes them)
    const source = instanceOf.get(sourceVolumeId) ?? '';
    const owned = fromImage.has(source)
      ? tagsFor(deps.env.siteId, 'recovered-vm', 'volume', { ...recoveredTags(input, source, deps.now()), ...tags })
      : tagsFor(deps.env.siteId, 'zimporter', 'volume', tags);
    snapshots[sourceVolumeId] =
      existing?.snapshotId ?? (await deps.recovery.createSnapshot(volumeId, owned, `Lifeboat recovery of ${sourceVolumeId} at ${input.prepare.checkpointId}`));
  }
  const found = await deps.ec2.describeSnapshots({ ids: Object.values(snapshots) });
  const failed = found.find((s) => s.state === 'error');
  if (failed) throw new FailbackFailed(`snapshot ${failed.snapshotId} of recovered volume ${failed.volumeId} failed: ${failed.stateMessage ?? 'error'}`);
  const pending = found.filter((s) => s.state !== 'completed');
  const ready = pending.length === 0 && found.length === Object.keys(snapshots).length;
  return { ready, waitSeconds: snapshotWaitSeconds(pending, deps.now(), input.vpg.pollSeconds), snapshots };
}

/** The snapshots of one source's recovered volumes, on their original devices. */
function devicesOf(input: LaunchInput, sourceInstanceId: string): Array<{ device: string; snapshotId: string; sourceVolumeId: string }> {
  return input.prepare.volumes
    .filter((v) => v.sourceInstanceId === sourceInstanceId)
    .map((v) => {
      const snapshotId = input.snapshots.snapshots[v.sourceVolumeId];
      if (!snapshotId) throw new FailbackFailed(`volume ${v.sourceVolumeId} of ${sourceInstanceId} has no recovered snapshot`);
      return { device: v.device, snapshotId, sourceVolumeId: v.sourceVolumeId };
    });
}

/** What a launch boots and maps: an image of the recovered root, or (no launch facts) the source's image as before. */
async function bootSource(
  input: LaunchInput,
  sourceInstanceId: string,
  facts: SyncFacts | null,
  deps: FailbackDepsWith<'recovery' | 'images'>,
): Promise<{ imageId: string; devices: RecoveredDevice[]; instanceType?: string; tags?: Record<string, string> } | 'pending'> {
  const devices = devicesOf(input, sourceInstanceId);
  const recorded = facts?.instances.find((i) => i.instanceId === sourceInstanceId);
  if (recorded) {
    const mapped = imageDevices(
      devices.map((d) => ({ ...d, facts: facts?.volumes[d.sourceVolumeId] })),
      recorded.rootDeviceName,
    );
    const image = await recoveredImage(
      {
        vpg: input.vpg.name,
        importId: input.resolve.importId,
        sourceInstanceId,
        checkpointId: input.prepare.checkpointId,
        facts: recorded,
        devices: mapped,
        extra: recoveredTags(input, sourceInstanceId, deps.now()),
      },
      deps,
    );
    // the image maps every volume itself: the launch names none
    return image.ready ? { imageId: image.imageId, devices: [], instanceType: recorded.instanceType, tags: recorded.tags } : 'pending';
  }
  // a failover makes no call to the protected side: not even a look at the source instance (the region's stock image)
  const [source] = input.resolve.mode === 'failover' ? [] : await deps.recovery.instanceDetails([sourceInstanceId]);
  if (input.resolve.mode === 'failover') deps.log.warn("recovered VM boots the region's Amazon Linux with its recovered disks", { sourceInstanceId });
  const image = await deps.recovery.launchImage(source?.imageId ? [source.imageId] : []);
  if (!image)
    throw new FailbackFailed(`no image to launch recovered VM of ${sourceInstanceId} from (the source's image is gone and no Amazon Linux image is visible)`);
  return { imageId: image.imageId, devices: devices.map(({ device, snapshotId }) => ({ device, snapshotId })), instanceType: source?.instanceType };
}

async function launchOne(
  input: LaunchInput,
  sourceInstanceId: string,
  facts: SyncFacts | null,
  deps: FailbackDepsWith<'recovery' | 'images'>,
): Promise<{ instanceId: string; imageId: string } | 'pending'> {
  const { resolve, recovery } = input;
  const { siteId } = deps.env;
  const boot = await bootSource(input, sourceInstanceId, facts, deps);
  if (boot === 'pending') return 'pending';
  const extra = recoveredTags(input, sourceInstanceId, deps.now());
  const instanceType = recoveredInstanceType({
    override: resolve.target.instanceType,
    sourceType: boot.instanceType,
    recoveryType: recovery.instanceType,
    fallback: DEFAULT_RECOVERED_INSTANCE_TYPE,
  });
  const instanceTags = withSourceTags(tagsFor(siteId, 'recovered-vm', 'instance', extra), boot.tags);
  if (instanceTags.dropped.length)
    deps.log.warn("source tags left off the recovered VM (EC2's 50 tags per resource)", { sourceInstanceId, dropped: instanceTags.dropped });
  const launched = await deps.recovery.runRecoveredInstance({
    imageId: boot.imageId,
    instanceType,
    subnetId: resolve.target.subnetId,
    securityGroupIds: resolve.target.securityGroupIds,
    privateIp: resolve.target.privateIps?.[sourceInstanceId],
    devices: boot.devices,
    clientToken: importClientToken(input.vpg.name, resolve.importId, `vm-${sourceInstanceId}`),
    instanceTags: instanceTags.tags,
    volumeTags: tagsFor(siteId, 'recovered-vm', 'volume', extra),
    networkInterfaceTags: tagsFor(siteId, 'recovered-vm', 'network-interface', extra),
  });
  deps.log.info('recovered VM launched', { sourceInstanceId, instanceId: launched.instanceId, instanceType, imageId: boot.imageId, devices: boot.devices });
  return { instanceId: launched.instanceId, imageId: boot.imageId };
}

/** Prepare's launch facts of the VMs that boot from an image; none in an execution prepared before they were written. */
async function launchFacts(input: LaunchInput, deps: FailbackDepsWith<'store'>): Promise<SyncFacts | null> {
  if (!input.prepare.launchFromImage?.length) return null;
  const parsed = syncFactsSchema.safeParse(await deps.store.getJson(importLaunchKey(input.vpg.name, input.resolve.importId)));
  if (!parsed.success)
    throw new FailbackFailed(`the launch facts of this recovery (${importLaunchKey(input.vpg.name, input.resolve.importId)}) are missing or damaged`);
  return parsed.data;
}

export async function launchRecovered(input: LaunchInput, deps: FailbackDepsWith<'ec2' | 'recovery' | 'images' | 'store'>): Promise<LaunchOutput> {
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
  const vm = await launchOne(input, next, await launchFacts(input, deps), deps);
  // its image is still pending: look again after a wait
  if (vm !== 'pending') launched.push({ sourceInstanceId: next, ...vm });
  return { done: false, waitSeconds: MIN_WAIT_SECONDS, launched };
}
