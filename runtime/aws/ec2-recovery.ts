/** RecoveryPort over the EC2 API: blank volumes, single-volume snapshots, stops, images, recovered VM launches. */
import {
  CreateSnapshotCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  type Image,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { BlankVolumeRequest, InstanceDetails, RecoveredLaunchRequest, RecoveryPort } from '../core/failback/recovery-ports';
import type { VolumeInfo } from '../core/ports';
import { tagList, tagMap, type Tags } from '../core/tags';
import { awsCall, orWhenNotFound } from './aws-errors';
import { makeEc2Client } from './ec2-adapter';
import { createTaggedVolume } from './ec2-volumes';

/** Amazon Linux 2023 (x86_64), the image a recovered VM boots when its source's image is gone. */
const FALLBACK_IMAGE_FILTERS = [
  { Name: 'name', Values: ['al2023-ami-*'] },
  { Name: 'architecture', Values: ['x86_64'] },
  { Name: 'state', Values: ['available'] },
];

function details(i: Instance): InstanceDetails {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'pending',
    instanceType: i.InstanceType ?? '',
    imageId: i.ImageId ?? '',
    tags: tagMap(i.Tags),
  };
}

export class Ec2Recovery implements RecoveryPort {
  constructor(private readonly client: EC2Client = makeEc2Client()) {}

  async instanceDetails(instanceIds: readonly string[]): Promise<InstanceDetails[]> {
    const out: InstanceDetails[] = [];
    // EC2 rejects a whole Describe when one id is unknown: one id at a time (sources may be gone)
    for (const id of instanceIds) {
      const res = await orWhenNotFound('DescribeInstances', () => this.client.send(new DescribeInstancesCommand({ InstanceIds: [id] })), null);
      for (const r of res?.Reservations ?? []) for (const i of r.Instances ?? []) if (i.State?.Name !== 'terminated') out.push(details(i));
    }
    return out;
  }

  /** Idempotent through the client token. */
  async createBlankVolume(request: BlankVolumeRequest): Promise<VolumeInfo> {
    return createTaggedVolume(this.client, { sizeGiB: request.sizeGiB }, request);
  }

  async createSnapshot(volumeId: string, tags: Tags, description: string): Promise<string> {
    const res = await awsCall('CreateSnapshot', () =>
      this.client.send(
        new CreateSnapshotCommand({ VolumeId: volumeId, Description: description, TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(tags) }] }),
      ),
    );
    if (!res.SnapshotId) throw new Error('CreateSnapshot returned no snapshot id');
    return res.SnapshotId;
  }

  async stopInstances(instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    await awsCall('StopInstances', () => this.client.send(new StopInstancesCommand({ InstanceIds: [...instanceIds] })));
  }

  async launchImage(preferred: readonly string[]): Promise<{ imageId: string } | null> {
    for (const id of preferred) {
      const res = await orWhenNotFound('DescribeImages', () => this.client.send(new DescribeImagesCommand({ ImageIds: [id] })), null);
      if (res?.Images?.[0]?.ImageId) return { imageId: res.Images[0].ImageId };
    }
    const res = await awsCall('DescribeImages', () => this.client.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: FALLBACK_IMAGE_FILTERS })));
    const newest = [...(res.Images ?? [])].sort((a: Image, b: Image) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    return newest?.ImageId ? { imageId: newest.ImageId } : null;
  }

  /** Idempotent through the client token; volumes come from the snapshots at launch, deleted with the instance. */
  async runRecoveredInstance(request: RecoveredLaunchRequest): Promise<{ instanceId: string }> {
    const nic =
      request.subnetId || request.privateIp
        ? {
            NetworkInterfaces: [
              {
                DeviceIndex: 0,
                SubnetId: request.subnetId,
                ...(request.securityGroupIds?.length ? { Groups: [...request.securityGroupIds] } : {}),
                ...(request.privateIp ? { PrivateIpAddress: request.privateIp } : {}),
                DeleteOnTermination: true,
              },
            ],
          }
        : request.securityGroupIds?.length
          ? { SecurityGroupIds: [...request.securityGroupIds] }
          : {};
    const res = await awsCall('RunInstances', () =>
      this.client.send(
        new RunInstancesCommand({
          ImageId: request.imageId,
          InstanceType: request.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          ClientToken: request.clientToken,
          ...nic,
          // an image of the recovered root maps its volumes itself; else each snapshot goes on its original device
          ...(request.devices.length
            ? {
                BlockDeviceMappings: request.devices.map((d) => ({
                  DeviceName: d.device,
                  Ebs: { SnapshotId: d.snapshotId, VolumeType: (d.volumeType ?? 'gp3') as never, DeleteOnTermination: true },
                })),
              }
            : {}),
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tagList(request.instanceTags) },
            { ResourceType: 'volume', Tags: tagList(request.volumeTags) },
            { ResourceType: 'network-interface', Tags: tagList(request.networkInterfaceTags) },
          ],
        }),
      ),
    );
    const id = res.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('RunInstances returned no instance');
    return { instanceId: id };
  }

  async defaultSubnetZones(): Promise<string[]> {
    const res = await awsCall('DescribeSubnets', () =>
      this.client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] })),
    );
    return [...new Set((res.Subnets ?? []).map((s) => s.AvailabilityZone).filter((z): z is string => !!z))];
  }

  async subnetZone(subnetId: string): Promise<string | null> {
    const res = await orWhenNotFound('DescribeSubnets', () => this.client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })), null);
    return res?.Subnets?.[0]?.AvailabilityZone ?? null;
  }
}
