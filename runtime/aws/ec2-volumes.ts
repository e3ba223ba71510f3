/** EBS volumes through the EC2 API: the zSAT volumes made from a sync's snapshots. */
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  EC2Client,
  paginateDescribeVolumes,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { CreateVolumeRequest, ResourceQuery, VolumeInfo } from '../core/ports';
import { tagList, type Tags } from '../core/tags';
import { awsCall, orWhenNotFound } from './aws-errors';
import { tagFilters, toVolumeInfo } from './ec2-mapping';

const PAGE_SIZE = 200;

export class Ec2Volumes {
  constructor(private readonly client: EC2Client) {}

  async describeVolumes(query: ResourceQuery): Promise<VolumeInfo[]> {
    const filters = tagFilters(query.tags);
    const out: Volume[] = [];
    if (query.ids !== undefined) {
      if (query.ids.length === 0) return [];
      const all = await orWhenNotFound('DescribeVolumes', () => this.byIds(query.ids!, filters), null);
      if (all) out.push(...all);
      else for (const id of query.ids) out.push(...(await orWhenNotFound('DescribeVolumes', () => this.byIds([id], filters), [])));
    } else {
      await awsCall('DescribeVolumes', async () => {
        const pages = paginateDescribeVolumes({ client: this.client, pageSize: PAGE_SIZE }, { Filters: filters.length ? filters : undefined });
        for await (const page of pages) out.push(...(page.Volumes ?? []));
      });
    }
    return out.map(toVolumeInfo);
  }

  private async byIds(ids: readonly string[], filters: ReturnType<typeof tagFilters>): Promise<Volume[]> {
    const res = await this.client.send(new DescribeVolumesCommand({ VolumeIds: [...ids], Filters: filters.length ? filters : undefined }));
    return res.Volumes ?? [];
  }

  /** Idempotent through the client token: a retried step gets the same volume back. */
  async createVolume(request: CreateVolumeRequest): Promise<VolumeInfo> {
    return createTaggedVolume(this.client, { snapshotId: request.snapshotId }, request);
  }

  async attachVolume(volumeId: string, instanceId: string, device: string): Promise<void> {
    await awsCall('AttachVolume', () => this.client.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device })));
  }

  async deleteVolume(volumeId: string): Promise<void> {
    await awsCall('DeleteVolume', () => this.client.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
  }
}

/**
 * CreateVolume, gp3, tagged at creation and idempotent through the client token: from a snapshot (zSATs)
 * or empty of a size (ZImporter targets).
 */
export async function createTaggedVolume(
  client: EC2Client,
  source: { readonly snapshotId: string } | { readonly sizeGiB: number },
  request: { readonly availabilityZone: string; readonly tags: Tags; readonly clientToken: string; readonly kmsKeyId?: string; readonly encrypted?: boolean },
): Promise<VolumeInfo> {
  const res = await awsCall('CreateVolume', () =>
    client.send(
      new CreateVolumeCommand({
        ...('snapshotId' in source ? { SnapshotId: source.snapshotId } : { Size: source.sizeGiB }),
        // a ZImporter target takes its source's key, or the region's default EBS key when that key is not here (a
        // volume from a snapshot takes the snapshot's by itself)
        ...(request.kmsKeyId ? { Encrypted: true, KmsKeyId: request.kmsKeyId } : request.encrypted ? { Encrypted: true } : {}),
        AvailabilityZone: request.availabilityZone,
        VolumeType: 'gp3',
        ClientToken: request.clientToken,
        TagSpecifications: [{ ResourceType: 'volume', Tags: tagList(request.tags) }],
      }),
    ),
  );
  if (!res.VolumeId) throw new Error('CreateVolume returned no volume id');
  return toVolumeInfo(res);
}
