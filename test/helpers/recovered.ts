/** Where a failback put a copy of a protected volume: the recovered VM's volume on the source volume's device. */
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';

async function instance(ec2: EC2Client, instanceId: string): Promise<Instance> {
  const [found] = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances!;
  return found;
}

/** The volume id on the recovered VM at the device the source volume had on its source instance. */
export async function recoveredCopyOf(ec2: EC2Client, recoveredInstanceId: string, source: { instanceId: string; volumeId: string }): Promise<string> {
  const [vm, original] = await Promise.all([instance(ec2, recoveredInstanceId), instance(ec2, source.instanceId)]);
  const device = original.BlockDeviceMappings!.find((m) => m.Ebs?.VolumeId === source.volumeId)!.DeviceName;
  return vm.BlockDeviceMappings!.find((m) => m.DeviceName === device)!.Ebs!.VolumeId!;
}
