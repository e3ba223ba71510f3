/** The disks of a recovered VM, matched to the protected volumes they recover by device name. */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';

async function devices(ec2: EC2Client, instanceId: string): Promise<Map<string, string>> {
  const d = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  const inst = d.Reservations?.[0]?.Instances?.[0];
  if (!inst) throw new Error(`instance ${instanceId} is not there`);
  return new Map((inst.BlockDeviceMappings ?? []).map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
}

/** source volume id → recovered volume id, for every volume of the source instance. */
export async function recoveredVolumes(ec2: EC2Client, sourceInstanceId: string, recoveredInstanceId: string): Promise<Map<string, string>> {
  const [source, recovered] = await Promise.all([devices(ec2, sourceInstanceId), devices(ec2, recoveredInstanceId)]);
  const out = new Map<string, string>();
  for (const [device, sourceVolumeId] of source) {
    const volumeId = recovered.get(device);
    if (!volumeId) throw new Error(`recovered VM ${recoveredInstanceId} has no disk at ${device} (source ${sourceVolumeId})`);
    out.set(sourceVolumeId, volumeId);
  }
  return out;
}
