/**
 * The launch facts a sync records of its protected instances and volumes (Begin, from the DescribeInstances and
 * DescribeVolumes answers it already has): they go to the sync's working files, not the payload, and Commit puts
 * them in the checkpoint (store/instance-facts.ts). Pure.
 */
import type { InstanceInfo, VolumeInfo } from '../ports';
import { userTags, type CheckpointInstance, type SyncFacts, type VolumeFacts } from '../store/instance-facts';

/** An instance's facts, or null when EC2 did not say how it boots (then a recovery launches it the old way). */
export function checkpointInstanceOf(instance: InstanceInfo): CheckpointInstance | null {
  const f = instance.facts;
  if (!f?.instanceType || !f.architecture || !f.rootDeviceName) return null;
  return {
    instanceId: instance.instanceId,
    instanceType: f.instanceType,
    architecture: f.architecture,
    ...(f.bootMode ? { bootMode: f.bootMode } : {}),
    rootDeviceName: f.rootDeviceName,
    // EC2 leaves it out only for instances older than HVM's default; those are paravirtual
    virtualizationType: f.virtualizationType ?? 'paravirtual',
    enaSupport: f.enaSupport ?? false,
    ...(f.platform ? { platform: f.platform } : {}),
    tags: userTags(instance.tags),
    network: { ...(f.subnetId ? { subnetId: f.subnetId } : {}), securityGroupIds: [...f.securityGroupIds], privateIps: [...f.privateIps] },
  };
}

export function volumeFactsOf(volume: VolumeInfo): VolumeFacts {
  return {
    ...(volume.volumeType ? { volumeType: volume.volumeType } : {}),
    ...(volume.iops ? { iops: volume.iops } : {}),
    ...(volume.throughput ? { throughput: volume.throughput } : {}),
  };
}

/** Every protected instance's and volume's facts, as Begin saw them. */
export function syncFactsOf(instances: readonly InstanceInfo[], volumes: ReadonlyMap<string, VolumeInfo>): SyncFacts {
  return {
    format: 1,
    instances: instances.map(checkpointInstanceOf).filter((i): i is CheckpointInstance => i !== null),
    volumes: Object.fromEntries([...volumes].map(([id, v]) => [id, volumeFactsOf(v)])),
  };
}
