/**
 * A recovered VM boots from its own recovered root: an AMI registered in the recovery region from the snapshots of
 * its recovered volumes (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html), with the
 * architecture, boot mode, root device and ENA support its checkpoint recorded, so nothing of the protected region
 * (its instance, its image) is needed. The image and its snapshots are the VM's: tagged as recovered-vm at creation,
 * removed with a test VM by `lifeboat failback-cleanup` and by a failed failback's cleanup; kept with a live or
 * failover VM.
 */
import type { CheckpointInstance, VolumeFacts } from '../store/instance-facts';
import { createHash } from 'node:crypto';
import { isOurs, TAG, tagsFor, type Tags } from '../tags';
import { FailbackFailed } from './failback-request';
import type { FailbackDepsWith, RecoveredDevice } from './recovery-ports';

/** How one recovered VM is launched: from an image of its recovered root, or as before (the source's image or a stock one). */
export type LaunchPath = { readonly kind: 'image' } | { readonly kind: 'source'; readonly why: string };

/**
 * Pure. An image registered from a snapshot boots Linux and other HVM systems; not Windows ("although you can create a
 * Windows AMI from a snapshot, you can't successfully launch an instance from the AMI", RegisterImage reference), nor
 * a paravirtual one (it needs a kernel image of the region).
 */
export function launchPathOf(facts: CheckpointInstance | undefined, devices: readonly string[]): LaunchPath {
  if (!facts) return { kind: 'source', why: 'its checkpoint records no launch facts (taken before they were recorded)' };
  if (/windows/i.test(facts.platform ?? '')) return { kind: 'source', why: `its platform is ${facts.platform}, which an image from a snapshot cannot boot` };
  if (facts.virtualizationType !== 'hvm') return { kind: 'source', why: `it is ${facts.virtualizationType}, not hvm` };
  if (!devices.includes(facts.rootDeviceName)) return { kind: 'source', why: `its root device ${facts.rootDeviceName} is not among its recovered volumes` };
  return { kind: 'image' };
}

/**
 * Pure. A block device mapping per recovered volume with its recorded EBS settings, as a mapping may carry them: IOPS
 * only for gp3, io1 and io2 (gp2's are its baseline, not a setting), throughput only for gp3
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html). Root first.
 */
export function imageDevices(
  volumes: ReadonlyArray<{ readonly device: string; readonly snapshotId: string; readonly facts?: VolumeFacts }>,
  rootDeviceName: string,
): RecoveredDevice[] {
  const devices = volumes.map(({ device, snapshotId, facts }) => {
    const volumeType = facts?.volumeType ?? 'gp3';
    return {
      device,
      snapshotId,
      volumeType,
      ...(facts?.iops && ['gp3', 'io1', 'io2'].includes(volumeType) ? { iops: facts.iops } : {}),
      ...(facts?.throughput && volumeType === 'gp3' ? { throughput: facts.throughput } : {}),
    };
  });
  return devices.sort((a, b) => Number(b.device === rootDeviceName) - Number(a.device === rootDeviceName) || a.device.localeCompare(b.device));
}

/** Pure. A name unique to this execution and source (AMI names are unique per account and region: at most 128 characters). */
export function imageName(siteId: string, vpg: string, importId: string, sourceInstanceId: string): string {
  const name = `lifeboat-${siteId}-${vpg}-${importId}-${sourceInstanceId}`;
  return name.length <= 128 ? name : `lifeboat-${siteId}-${vpg}-${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

/** Pure. A copy of the source's own tags under Lifeboat's (ours win), within EC2's 50 tags per resource. */
export function withSourceTags(ours: Tags, source: Tags | undefined): { tags: Tags; dropped: string[] } {
  const room = 50 - Object.keys(ours).length;
  const theirs = Object.entries(source ?? {}).filter(([k]) => !(k in ours) && !/^aws:/i.test(k));
  return { tags: { ...Object.fromEntries(theirs.slice(0, Math.max(0, room))), ...ours }, dropped: theirs.slice(Math.max(0, room)).map(([k]) => k) };
}

export interface ImageToRegister {
  readonly vpg: string;
  readonly importId: string;
  readonly sourceInstanceId: string;
  readonly checkpointId: string;
  readonly facts: CheckpointInstance;
  readonly devices: readonly RecoveredDevice[];
  /** The recovered VM's tags besides ZERTO_TAG/Owner/role (execution, checkpoint, source, mode, test expiry). */
  readonly extra: Tags;
}

/**
 * The image a recovered VM boots: this execution's for this source if it already exists (a retried step: the tags,
 * then the name, since RegisterImage takes no client token), else registered now. 'pending' until EC2 says available.
 */
export async function recoveredImage(req: ImageToRegister, deps: FailbackDepsWith<'images'>): Promise<{ readonly imageId: string; readonly ready: boolean }> {
  const { siteId } = deps.env;
  const lookup = { [TAG.owner]: siteId, [TAG.vpg]: req.vpg, [TAG.executionId]: req.importId, [TAG.sourceInstance]: req.sourceInstanceId };
  let [image] = (await deps.images.describeImages({ tags: lookup })).filter((i) => isOurs(i.tags, siteId, req.vpg) && i.tags[TAG.role] === 'recovered-vm');
  if (!image) {
    const imageId = await deps.images.registerImage({
      name: imageName(siteId, req.vpg, req.importId, req.sourceInstanceId),
      description: `Lifeboat recovery of ${req.sourceInstanceId} at ${req.checkpointId}`,
      architecture: req.facts.architecture,
      ...(req.facts.bootMode ? { bootMode: req.facts.bootMode } : {}),
      rootDeviceName: req.facts.rootDeviceName,
      enaSupport: req.facts.enaSupport,
      devices: req.devices,
      tags: tagsFor(siteId, 'recovered-vm', 'image', req.extra),
    });
    deps.log.info('recovered VM image registered', { sourceInstanceId: req.sourceInstanceId, imageId, devices: req.devices });
    // just registered, it may not be listed yet (EC2 is eventually consistent): it is ours by its creation
    [image] = await deps.images.describeImages({ ids: [imageId] });
    if (!image) return { imageId, ready: false };
    // found by its name, it must be ours as well
    if (!isOurs(image.tags, siteId, req.vpg)) throw new FailbackFailed(`image ${imageId} has the name Lifeboat gives this recovery but is not ours`);
  }
  if (image.state === 'available') return { imageId: image.imageId, ready: true };
  if (image.state === 'pending') return { imageId: image.imageId, ready: false };
  throw new FailbackFailed(`image ${image.imageId} registered for the recovered VM of ${req.sourceInstanceId} is ${image.state}`);
}

/** This execution's images, checked ours right before each deregistration; what went, and what failed. */
export async function deregisterExecutionImages(
  vpg: string,
  importId: string,
  deps: FailbackDepsWith<'images'>,
): Promise<{ deregistered: string[]; errors: string[] }> {
  const { siteId } = deps.env;
  const deregistered: string[] = [];
  const errors: string[] = [];
  for (const listed of await deps.images.describeImages({ tags: { [TAG.vpg]: vpg, [TAG.executionId]: importId } })) {
    try {
      const [image] = await deps.images.describeImages({ ids: [listed.imageId] });
      if (!image || !isOurs(image.tags, siteId, vpg) || image.tags[TAG.role] !== 'recovered-vm' || image.tags[TAG.executionId] !== importId) continue;
      await deps.images.deregisterImage(image.imageId);
      deregistered.push(image.imageId);
    } catch (err) {
      errors.push(`${listed.imageId}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { deregistered, errors };
}
