/**
 * What the chaos suite checks after each run: every committed checkpoint restores byte for byte (its block
 * map equals the volumes' image at its snapshot, every block reads back and verifies against its hash),
 * nothing Lifeboat made is left but the base snapshots once the sweeper ran, and the foreign look-alikes
 * are exactly as seeded.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import crypto from 'node:crypto';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { compareBlockMap, isZero, type VolumeImage } from '../../bin/demo/verify';
import { readVolume, type ProtectedVolume } from '../../bin/demo/workload';
import { leftovers, ownedResources } from '../../bin/demo/inventory';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { TAG, tagList, tagMap, type Tags } from '../../runtime/core/tags';

/**
 * A blank-born volume's image from the only blocks that can hold data (those ever written), read back from
 * the volume itself: the same image captureVolumeImage gives, without reading a whole GiB each run.
 */
export async function imageOfBlocks(endpoint: string, volume: ProtectedVolume, written: ReadonlySet<number>): Promise<VolumeImage> {
  const blocks = new Map<number, string>();
  for (const index of [...written].sort((a, b) => a - b)) {
    const block = await readVolume(endpoint, volume.volumeId, index * BLOCK_SIZE, BLOCK_SIZE);
    if (!isZero(block)) blocks.set(index, crypto.createHash('sha256').update(block).digest('hex'));
  }
  return { sourceVolumeId: volume.volumeId, sizeBytes: volume.sizeBytes, blocks, sha256: '' };
}

/** Problems with one checkpoint ([] = it restores exactly). */
export async function checkpointProblems(store: S3ReplicaStore, vpg: string, checkpointId: string, images: readonly VolumeImage[]): Promise<string[]> {
  const problems: string[] = [];
  try {
    const manifest = await store.getCheckpoint(vpg, checkpointId);
    if (!manifest) return [`${checkpointId}: manifest missing`];
    for (const volume of manifest.volumes) {
      const resolved = await store.resolveVolume(vpg, checkpointId, volume.sourceVolumeId);
      const image = images.find((i) => i.sourceVolumeId === volume.sourceVolumeId);
      if (image) problems.push(...compareBlockMap(resolved, image).mismatches.map((m) => `${checkpointId} ${volume.sourceVolumeId}: ${m}`));
      // every stored block reads back and verifies against its hash (readBlock throws otherwise)
      for (const ref of new Set(resolved.values())) if (ref !== 'zero') await store.readBlock(vpg, ref);
    }
    for (const image of images) {
      if (!manifest.volumes.some((v) => v.sourceVolumeId === image.sourceVolumeId)) problems.push(`${checkpointId}: volume ${image.sourceVolumeId} missing`);
    }
  } catch (err) {
    problems.push(`${checkpointId}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return problems;
}

/** Everything with our Owner except the latest checkpoint's snapshots (the bases). */
export async function leakedResources(ec2: EC2Client, store: S3ReplicaStore, siteId: string, vpg: string): Promise<string[]> {
  const checkpoints = await store.listCheckpoints(vpg);
  const bases = new Set(checkpoints[checkpoints.length - 1]?.volumes.map((v) => v.snapshotId) ?? []);
  return leftovers(await ownedResources(ec2, siteId), bases);
}

interface ForeignResource {
  readonly id: string;
  readonly kind: 'volume' | 'snapshot' | 'instance';
  readonly tags: Tags;
}

/** Look-alikes of our resources that belong to someone else: another Owner, no Owner, our VPG tag with another Owner. */
export async function seedForeign(ec2: EC2Client, vpg: string, sourceVolumeId: string, az: string): Promise<ForeignResource[]> {
  const looks: Tags[] = [
    { [TAG.owner]: 'other-site', [TAG.zerto]: 'ZERTO_EBS_RESOURCE', [TAG.vpg]: vpg, [TAG.role]: 'zsat', [TAG.syncId]: 's000000000000' },
    { [TAG.zerto]: 'ZERTO_EBS_RESOURCE', [TAG.vpg]: vpg, [TAG.role]: 'zsat' },
    { [TAG.owner]: 'someone', [TAG.vpg]: vpg },
  ];
  const out: ForeignResource[] = [];
  for (const tags of looks) {
    const v = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1, TagSpecifications: [{ ResourceType: 'volume', Tags: tagList(tags) }] }));
    out.push({ id: v.VolumeId!, kind: 'volume', tags });
    const snapTags = { ...tags, ...(tags[TAG.role] ? { [TAG.role]: 'sync-snapshot' } : {}) };
    const s = await ec2.send(
      new CreateSnapshotCommand({ VolumeId: sourceVolumeId, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(snapTags) }] }),
    );
    out.push({ id: s.SnapshotId!, kind: 'snapshot', tags: snapTags });
  }
  const image = (await ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
  const instanceTags = { [TAG.owner]: 'other-site', [TAG.zerto]: 'ZERTO_EC2_RESOURCE', [TAG.vpg]: vpg, [TAG.role]: 'zsat' };
  const i = await ec2.send(
    new RunInstancesCommand({
      ImageId: image,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      TagSpecifications: [{ ResourceType: 'instance', Tags: tagList(instanceTags) }],
    }),
  );
  out.push({ id: i.Instances![0].InstanceId!, kind: 'instance', tags: instanceTags });
  return out;
}

/** Ids of foreign resources that are gone, stopped or re-tagged. */
export async function foreignTouched(ec2: EC2Client, foreign: readonly ForeignResource[]): Promise<string[]> {
  const touched: string[] = [];
  const same = (a: Tags, b: Tags) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  for (const f of foreign) {
    let tags: Tags | undefined;
    let alive: boolean;
    try {
      if (f.kind === 'volume') {
        const v = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [f.id] }))).Volumes?.[0];
        tags = tagMap(v?.Tags);
        alive = v?.State === 'available';
      } else if (f.kind === 'snapshot') {
        const s = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [f.id] }))).Snapshots?.[0];
        tags = tagMap(s?.Tags);
        alive = s !== undefined;
      } else {
        const i = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [f.id] }))).Reservations?.[0]?.Instances?.[0];
        tags = tagMap(i?.Tags);
        alive = i?.State?.Name === 'running';
      }
    } catch {
      alive = false;
    }
    if (!alive || !tags || !same(tags, f.tags)) touched.push(f.id);
  }
  return touched;
}
