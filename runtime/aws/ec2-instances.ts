/** EC2 instances, launch templates and subnets, as the sync steps use them. */
import {
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  paginateDescribeInstances,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
  type _InstanceType,
  type Instance,
} from '@aws-sdk/client-ec2';
import type { SubnetInfo } from '../core/workers/subnets';
import type { InstanceInfo, InstanceState, LaunchTemplateInfo, ResourceQuery, RunInstanceRequest } from '../core/ports';
import { tagList, tagMap } from '../core/tags';
import { awsCall, orWhenNotFound } from './aws-errors';
import { tagFilters, toInstanceInfo } from './ec2-mapping';

const PAGE_SIZE = 200;

export class Ec2Instances {
  constructor(private readonly client: EC2Client) {}

  async describeInstances(query: ResourceQuery & { states?: readonly InstanceState[] }): Promise<InstanceInfo[]> {
    const filters: Filter[] = [...tagFilters(query.tags)];
    if (query.states?.length) filters.push({ Name: 'instance-state-name', Values: [...query.states] });
    const out: Instance[] = [];
    if (query.ids !== undefined) {
      if (query.ids.length === 0) return [];
      // EC2 rejects the whole call when one id is unknown: fall back to one lookup per id.
      const all = await orWhenNotFound('DescribeInstances', () => this.byIds(query.ids!, filters), null);
      if (all) out.push(...all);
      else for (const id of query.ids) out.push(...(await orWhenNotFound('DescribeInstances', () => this.byIds([id], filters), [])));
    } else {
      await awsCall('DescribeInstances', async () => {
        const pages = paginateDescribeInstances({ client: this.client, pageSize: PAGE_SIZE }, { Filters: filters.length ? filters : undefined });
        for await (const page of pages) for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      });
    }
    return out.map(toInstanceInfo);
  }

  private async byIds(ids: readonly string[], filters: Filter[]): Promise<Instance[]> {
    const res = await this.client.send(new DescribeInstancesCommand({ InstanceIds: [...ids], Filters: filters.length ? filters : undefined }));
    return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  async runInstance(request: RunInstanceRequest): Promise<InstanceInfo> {
    const res = await awsCall('RunInstances', () =>
      this.client.send(
        new RunInstancesCommand({
          LaunchTemplate: { LaunchTemplateId: request.launchTemplateId, Version: '$Default' },
          MinCount: 1,
          MaxCount: 1,
          ClientToken: request.clientToken,
          ...(request.instanceType ? { InstanceType: request.instanceType as _InstanceType } : {}),
          ...(request.subnetId
            ? {
                NetworkInterfaces: [
                  {
                    DeviceIndex: 0,
                    SubnetId: request.subnetId,
                    ...(request.securityGroupId ? { Groups: [request.securityGroupId] } : {}),
                    AssociatePublicIpAddress: request.publicIp ?? false,
                    DeleteOnTermination: true,
                  },
                ],
              }
            : {}),
          ...(request.instanceProfileArn ? { IamInstanceProfile: { Arn: request.instanceProfileArn } } : {}),
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tagList(request.instanceTags) },
            { ResourceType: 'volume', Tags: tagList(request.volumeTags) },
            { ResourceType: 'network-interface', Tags: tagList(request.networkInterfaceTags) },
          ],
        }),
      ),
    );
    const instance = res.Instances?.[0];
    if (!instance?.InstanceId) throw new Error('RunInstances returned no instance');
    return toInstanceInfo(instance);
  }

  async terminateInstances(instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    await awsCall('TerminateInstances', () => this.client.send(new TerminateInstancesCommand({ InstanceIds: [...instanceIds] })));
  }

  async findLaunchTemplate(name: string): Promise<LaunchTemplateInfo | null> {
    const res = await orWhenNotFound(
      'DescribeLaunchTemplates',
      () => this.client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] })),
      null,
    );
    const t = res?.LaunchTemplates?.[0];
    if (!t?.LaunchTemplateId) return null;
    return { launchTemplateId: t.LaunchTemplateId, name: t.LaunchTemplateName ?? name, tags: tagMap(t.Tags) };
  }

  /** EC2 rejects the whole call when one id is unknown (InvalidSubnetID.NotFound): then one lookup per id. */
  async describeSubnets(ids: readonly string[]): Promise<SubnetInfo[]> {
    if (ids.length === 0) return [];
    const lookup = (some: readonly string[]) => this.client.send(new DescribeSubnetsCommand({ SubnetIds: [...some] })).then((r) => r.Subnets ?? []);
    let found = await orWhenNotFound('DescribeSubnets', () => lookup(ids), null);
    if (!found) {
      found = [];
      for (const id of ids) found.push(...(await orWhenNotFound('DescribeSubnets', () => lookup([id]), [])));
    }
    return found.map((s) => ({ subnetId: s.SubnetId ?? '', availabilityZone: s.AvailabilityZone ?? '', vpcId: s.VpcId ?? '' }));
  }

  /** The region's default VPC, if it has one. */
  async defaultVpc(): Promise<string | null> {
    const res = await awsCall('DescribeVpcs', () => this.client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] })));
    return res.Vpcs?.[0]?.VpcId ?? null;
  }

  async defaultSubnet(availabilityZone: string): Promise<string | null> {
    const res = await awsCall('DescribeSubnets', () =>
      this.client.send(
        new DescribeSubnetsCommand({
          Filters: [
            { Name: 'availability-zone', Values: [availabilityZone] },
            { Name: 'default-for-az', Values: ['true'] },
          ],
        }),
      ),
    );
    return res.Subnets?.[0]?.SubnetId ?? null;
  }
}
