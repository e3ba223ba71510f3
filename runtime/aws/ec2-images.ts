/** ImagesPort over EC2: the recovery region's own AMIs (a recovered VM's, registered from its recovered snapshots). */
import { DeregisterImageCommand, DescribeImagesCommand, EC2Client, RegisterImageCommand, type Filter, type Image } from '@aws-sdk/client-ec2';
import type { ResourceQuery } from '../core/ports';
import type { ImageInfo, ImagesPort, RegisterImageRequest } from '../core/failback/recovery-ports';
import { tagList, tagMap } from '../core/tags';
import { awsCall, awsErrorCode, orWhenNotFound, toDomainError } from './aws-errors';
import { makeEc2Client } from './ec2-adapter';
import { tagFilters } from './ec2-mapping';

function toImageInfo(i: Image): ImageInfo {
  return {
    imageId: i.ImageId ?? '',
    name: i.Name ?? '',
    state: i.State ?? 'pending',
    tags: tagMap(i.Tags),
    rootDeviceName: i.RootDeviceName ?? '',
    devices: (i.BlockDeviceMappings ?? []).map((m) => ({ device: m.DeviceName ?? '', ...(m.Ebs?.SnapshotId ? { snapshotId: m.Ebs.SnapshotId } : {}) })),
  };
}

export class Ec2Images implements ImagesPort {
  constructor(private readonly client: EC2Client = makeEc2Client()) {}

  async describeImages(query: ResourceQuery): Promise<ImageInfo[]> {
    const filters = tagFilters(query.tags);
    const describe = (ids?: readonly string[], more: Filter[] = filters) =>
      this.client
        .send(new DescribeImagesCommand({ Owners: ['self'], ...(ids ? { ImageIds: [...ids] } : {}), ...(more.length ? { Filters: more } : {}) }))
        .then((r) => r.Images ?? []);
    if (query.ids === undefined) return (await awsCall('DescribeImages', () => describe())).map(toImageInfo);
    if (query.ids.length === 0) return [];
    // EC2 rejects the whole call when one id is unknown (InvalidAMIID.NotFound): then one lookup per id
    const all = await orWhenNotFound('DescribeImages', () => describe(query.ids), null);
    if (all) return all.map(toImageInfo);
    const out: Image[] = [];
    for (const id of query.ids) out.push(...(await orWhenNotFound('DescribeImages', () => describe([id]), [])));
    return out.map(toImageInfo);
  }

  /**
   * RegisterImage takes no client token: a retry whose first attempt registered the image meets InvalidAMIName.Duplicate
   * (names are unique per account and region) and gets that image, which the caller checks is ours.
   * HVM always: a mapping that names a snapshot takes its encryption (Encrypted is not allowed there).
   */
  async registerImage(request: RegisterImageRequest): Promise<string> {
    try {
      const res = await this.client.send(
        new RegisterImageCommand({
          Name: request.name,
          Description: request.description,
          Architecture: request.architecture as never,
          ...(request.bootMode ? { BootMode: request.bootMode as never } : {}),
          RootDeviceName: request.rootDeviceName,
          VirtualizationType: 'hvm',
          EnaSupport: request.enaSupport,
          BlockDeviceMappings: request.devices.map((d) => ({
            DeviceName: d.device,
            Ebs: {
              SnapshotId: d.snapshotId,
              DeleteOnTermination: true,
              ...(d.volumeType ? { VolumeType: d.volumeType as never } : {}),
              ...(d.iops ? { Iops: d.iops } : {}),
              ...(d.throughput ? { Throughput: d.throughput } : {}),
            },
          })),
          TagSpecifications: [{ ResourceType: 'image', Tags: tagList(request.tags) }],
        }),
      );
      if (!res.ImageId) throw new Error('RegisterImage returned no image id');
      return res.ImageId;
    } catch (err) {
      if (awsErrorCode(err) !== 'InvalidAMIName.Duplicate') throw toDomainError(err, 'RegisterImage');
      const [named] = await awsCall('DescribeImages', () =>
        this.client.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [request.name] }] })).then((r) => r.Images ?? []),
      );
      if (!named?.ImageId) throw toDomainError(err, 'RegisterImage');
      return named.ImageId;
    }
  }

  async deregisterImage(imageId: string): Promise<void> {
    await awsCall('DeregisterImage', () => this.client.send(new DeregisterImageCommand({ ImageId: imageId })));
  }
}
