/** EBS snapshots through the EC2 API: crash-consistent multi-volume sets, tagged at creation. */
import {
  CreateSnapshotsCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  paginateDescribeSnapshots,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import type { ResourceQuery, SnapshotInfo } from '../core/ports';
import { tagList, type Tags } from '../core/tags';
import { awsCall, orWhenNotFound } from './aws-errors';
import { tagFilters, toSnapshotInfo } from './ec2-mapping';

const PAGE_SIZE = 500;

export class Ec2Snapshots {
  constructor(private readonly client: EC2Client) {}

  async describeSnapshots(query: ResourceQuery): Promise<SnapshotInfo[]> {
    const filters = tagFilters(query.tags);
    const out: Snapshot[] = [];
    if (query.ids !== undefined) {
      if (query.ids.length === 0) return [];
      const all = await orWhenNotFound('DescribeSnapshots', () => this.byIds(query.ids!, filters), null);
      if (all) out.push(...all);
      else for (const id of query.ids) out.push(...(await orWhenNotFound('DescribeSnapshots', () => this.byIds([id], filters), [])));
    } else {
      await awsCall('DescribeSnapshots', async () => {
        const pages = paginateDescribeSnapshots(
          { client: this.client, pageSize: PAGE_SIZE },
          { OwnerIds: ['self'], Filters: filters.length ? filters : undefined },
        );
        for await (const page of pages) out.push(...(page.Snapshots ?? []));
      });
    }
    return out.map(toSnapshotInfo);
  }

  private async byIds(ids: readonly string[], filters: ReturnType<typeof tagFilters>): Promise<Snapshot[]> {
    const res = await this.client.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [...ids], OwnerIds: ['self'], Filters: filters.length ? filters : undefined }),
    );
    return res.Snapshots ?? [];
  }

  async createSnapshots(instanceId: string, tags: Tags): Promise<Array<{ snapshotId: string; volumeId: string }>> {
    const res = await awsCall('CreateSnapshots', () =>
      this.client.send(
        new CreateSnapshotsCommand({
          InstanceSpecification: { InstanceId: instanceId, ExcludeBootVolume: false },
          Description: `Lifeboat sync of ${instanceId}`,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(tags) }],
        }),
      ),
    );
    return (res.Snapshots ?? []).map((s) => ({ snapshotId: s.SnapshotId ?? '', volumeId: s.VolumeId ?? '' }));
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    await awsCall('DeleteSnapshot', () => this.client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
  }
}
