/** The disks of a recovered VM, matched to the protected volumes they recover by device name. */
import { DescribeImagesCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';

/** device name → volume id of an instance. */
export async function devicesOf(ec2: EC2Client, instanceId: string): Promise<Map<string, string>> {
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const inst = d.Reservations?.[0]?.Instances?.[0];
  if (!inst) throw new Error(`instance ${instanceId} is not there`);
  return new Map((inst.BlockDeviceMappings ?? []).map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
}

/**
 * source volume id → recovered volume id, for every volume of the source, given the source's devices (read while its
 * region was up: a recovery in another region cannot look at it) and the recovered VM in `ec2`'s region.
 */
export async function recoveredTwins(ec2: EC2Client, sourceDevices: ReadonlyMap<string, string>, recoveredInstanceId: string): Promise<Map<string, string>> {
  const recovered = await devicesOf(ec2, recoveredInstanceId);
  const out = new Map<string, string>();
  for (const [device, sourceVolumeId] of sourceDevices) {
    const volumeId = recovered.get(device);
    if (!volumeId) throw new Error(`recovered VM ${recoveredInstanceId} has no disk at ${device} (source ${sourceVolumeId})`);
    out.set(sourceVolumeId, volumeId);
  }
  return out;
}

/** source volume id → recovered volume id, the source and the recovered VM both in `ec2`'s region. */
export async function recoveredVolumes(ec2: EC2Client, sourceInstanceId: string, recoveredInstanceId: string): Promise<Map<string, string>> {
  return recoveredTwins(ec2, await devicesOf(ec2, sourceInstanceId), recoveredInstanceId);
}

/** What stays with a recovered VM that is kept: the VM, its volumes and the snapshots of the image it boots. */
export async function keptWithVm(ec2: EC2Client, instanceId: string): Promise<Set<string>> {
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const inst = d.Reservations?.[0]?.Instances?.[0];
  const kept = new Set<string>([instanceId, ...(inst?.BlockDeviceMappings ?? []).map((m) => m.Ebs!.VolumeId!)]);
  if (inst?.ImageId) {
    const images = await ec2.send(new DescribeImagesCommand({ ImageIds: [inst.ImageId] })).catch(() => ({ Images: [] }));
    for (const m of images.Images?.[0]?.BlockDeviceMappings ?? []) if (m.Ebs?.SnapshotId) kept.add(m.Ebs.SnapshotId);
  }
  return kept;
}
