/**
 * What `lifeboat doctor` reads from EC2 (AWS or the offline cloud): a subnet's routing toward S3, the workers'
 * launch templates, images and security groups, instance types and their offerings, vCPUs in use, the account's
 * default EBS key. Reads only, each once per run: every VPG of a site shares the templates, their security group and
 * image, and usually the subnets, so fifty VPGs do not read them fifty times.
 */
import {
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeInternetGatewaysCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  paginateDescribeInstanceTypeOfferings,
  type EC2Client,
  type RouteTable,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { liveInstanceCounts } from '../../runtime/aws/vcpu-capacity';
import type { EgressFact, RouteFact, SubnetRouting } from './s3-path';
import type { RecoverySubnetFact } from './recovery-mapping';

const defaultRoute = (t: RouteTable | undefined) => t?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');

export class Ec2Facts {
  private readonly answers = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ec2: EC2Client,
    private readonly region: string,
  ) {}

  /** The first answer to this question in this run. */
  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    if (!this.answers.has(key)) this.answers.set(key, read());
    return this.answers.get(key) as Promise<T>;
  }

  /** The route table a subnet uses: its own association, else its VPC's main table. */
  async routeTableOf(subnetId: string, vpcId: string): Promise<RouteTable | undefined> {
    const own = await this.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
    if (own.RouteTables?.length) return own.RouteTables[0];
    const main = await this.ec2.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    return main.RouteTables?.[0];
  }

  async subnetRouting(subnetId: string, vpcId: string, publicIp: boolean): Promise<SubnetRouting> {
    return this.once(`routing ${subnetId} ${publicIp}`, async () => {
      const table = await this.routeTableOf(subnetId, vpcId);
      const routes: RouteFact[] = (table?.Routes ?? []).map((r) => ({
        destinationCidrBlock: r.DestinationCidrBlock,
        destinationPrefixListId: r.DestinationPrefixListId,
        gatewayId: r.GatewayId,
        natGatewayId: r.NatGatewayId,
      }));
      const igws = await this.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }));
      const endpoints = await this.ec2.send(
        new DescribeVpcEndpointsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'service-name', Values: [`com.amazonaws.${this.region}.s3`] },
          ],
        }),
      );
      const available = (endpoints.VpcEndpoints ?? []).filter((e) => e.State?.toLowerCase() === 'available');
      const natIds = routes.flatMap((r) => (r.natGatewayId ? [r.natGatewayId] : []));
      return {
        subnetId,
        routeTableId: table?.RouteTableId ?? null,
        routes,
        publicIp,
        attachedInternetGateways: (igws.InternetGateways ?? []).flatMap((g) => (g.InternetGatewayId ? [g.InternetGatewayId] : [])),
        s3GatewayEndpoints: available
          .filter((e) => e.VpcEndpointType === 'Gateway')
          .map((e) => ({
            vpcEndpointId: e.VpcEndpointId!,
            routeTableIds: e.RouteTableIds ?? [],
            prefixListId: routes.find((r) => r.gatewayId === e.VpcEndpointId)?.destinationPrefixListId,
          })),
        s3InterfaceEndpoints: available.filter((e) => e.VpcEndpointType === 'Interface' && e.PrivateDnsEnabled).map((e) => e.VpcEndpointId!),
        natGateways: await Promise.all(natIds.map((id) => this.natUsability(id))),
      };
    });
  }

  private async natUsability(natGatewayId: string): Promise<SubnetRouting['natGateways'][number]> {
    const out = await this.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natGatewayId] })).catch(() => ({ NatGateways: [] }));
    const nat = out.NatGateways?.[0];
    if (!nat) return { natGatewayId, usable: false, why: 'does not exist' };
    if (nat.State !== 'available') return { natGatewayId, usable: false, why: `is ${nat.State}` };
    if (nat.ConnectivityType === 'private') return { natGatewayId, usable: false, why: 'is a private NAT gateway (no way to the internet)' };
    const natTable = await this.routeTableOf(nat.SubnetId!, nat.VpcId!);
    if (!defaultRoute(natTable)?.GatewayId?.startsWith('igw-'))
      return { natGatewayId, usable: false, why: `sits in ${nat.SubnetId}, whose route table has no route to an internet gateway` };
    return { natGatewayId, usable: true };
  }

  async securityGroupEgress(groupId: string): Promise<EgressFact[] | null> {
    return this.once(`egress ${groupId}`, async () => {
      const out = await this.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })).catch((err: Error) => {
        if (err.name === 'InvalidGroup.NotFound') return { SecurityGroups: [] };
        throw err;
      });
      const group = out.SecurityGroups?.[0];
      if (!group) return null;
      return (group.IpPermissionsEgress ?? []).map((p) => ({
        ipProtocol: p.IpProtocol ?? '-1',
        fromPort: p.FromPort,
        toPort: p.ToPort,
        cidrIps: (p.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
        prefixListIds: (p.PrefixListIds ?? []).flatMap((r) => (r.PrefixListId ? [r.PrefixListId] : [])),
      }));
    });
  }

  /** The VPC of each of these security groups that exists (one lookup per group: a missing one fails a joint lookup). */
  async securityGroupVpcs(groupIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of new Set(groupIds)) {
      const vpc = await this.once(`group vpc ${id}`, async () => {
        const res = await this.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })).catch((err: Error) => {
          if (err.name === 'InvalidGroup.NotFound' || err.name === 'InvalidGroupId.Malformed') return { SecurityGroups: [] };
          throw err;
        });
        return res.SecurityGroups?.[0]?.VpcId;
      });
      if (vpc) out.set(id, vpc);
    }
    return out;
  }

  /** A subnet's VPC, zone and IPv4 CIDR; null when it does not exist here. */
  async subnet(subnetId: string): Promise<RecoverySubnetFact | null> {
    return this.once(`subnet ${subnetId}`, async () => {
      const res = await this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).catch((err: Error) => {
        if (err.name === 'InvalidSubnetID.NotFound' || err.name === 'InvalidSubnetID.Malformed') return { Subnets: [] };
        throw err;
      });
      const s = res.Subnets?.[0];
      return s ? { subnetId, vpcId: s.VpcId ?? '', availabilityZone: s.AvailabilityZone ?? '', cidrBlock: s.CidrBlock ?? '0.0.0.0/0' } : null;
    });
  }

  /** A launch template's default version: its image, type and the security groups its interface names. */
  async launchTemplate(name: string): Promise<{ launchTemplateId: string; imageId?: string; instanceType?: string; securityGroupIds: string[] } | null> {
    return this.once(`template ${name}`, async () => {
      const out = await this.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name, Versions: ['$Default'] })).catch((err: Error) => {
        if (/NotFound/.test(err.name)) return { LaunchTemplateVersions: [] };
        throw err;
      });
      const v = out.LaunchTemplateVersions?.[0];
      if (!v) return null;
      const data = v.LaunchTemplateData ?? {};
      const groups = [...(data.SecurityGroupIds ?? []), ...(data.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])];
      return { launchTemplateId: v.LaunchTemplateId!, imageId: data.ImageId, instanceType: data.InstanceType, securityGroupIds: [...new Set(groups)] };
    });
  }

  async image(imageId: string): Promise<{ state: string; architecture: string } | null> {
    return this.once(`image ${imageId}`, async () => {
      const out = await this.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })).catch((err: Error) => {
        if (/InvalidAMIID/.test(err.name)) return { Images: [] };
        throw err;
      });
      const image = out.Images?.[0];
      return image ? { state: image.State ?? 'unknown', architecture: image.Architecture ?? 'x86_64' } : null;
    });
  }

  /** vCPUs and architectures of the types EC2 knows among these; an unknown one is left out. */
  async instanceTypes(types: readonly string[]): Promise<Map<string, { vcpus: number; architectures: string[] }>> {
    const out = new Map<string, { vcpus: number; architectures: string[] }>();
    for (const type of new Set(types)) {
      const info = await this.once(`type ${type}`, async () => {
        const res = await this.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as _InstanceType] })).catch((err: Error) => {
          if (err.name === 'InvalidInstanceType') return { InstanceTypes: [] };
          throw err;
        });
        return res.InstanceTypes?.[0];
      });
      if (info) out.set(type, { vcpus: info.VCpuInfo?.DefaultVCpus ?? 0, architectures: info.ProcessorInfo?.SupportedArchitectures ?? [] });
    }
    return out;
  }

  /** Which of these types each zone offers. */
  async offerings(zones: readonly string[], types: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>(zones.map((z) => [z, new Set<string>()]));
    if (zones.length === 0 || types.length === 0) return out;
    const pages = paginateDescribeInstanceTypeOfferings(
      { client: this.ec2 },
      {
        LocationType: 'availability-zone',
        Filters: [
          { Name: 'location', Values: [...zones] },
          { Name: 'instance-type', Values: [...types] },
        ],
      },
    );
    for await (const page of pages) for (const o of page.InstanceTypeOfferings ?? []) out.get(o.Location!)?.add(o.InstanceType!);
    return out;
  }

  /** Types of the account's pending and running instances, with how many of each. */
  liveInstanceTypes(): Promise<Map<string, number>> {
    return liveInstanceCounts(this.ec2);
  }

  /** The key new volumes get when EBS encryption by default is on, or when created Encrypted with no key (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html). */
  async ebsDefaultKey(): Promise<{ byDefault: boolean; keyId?: string }> {
    return this.once('ebs default key', async () => {
      // the key is the default also of volumes created Encrypted without a key id, whether or not encryption by default is on
      const on = await this.ec2.send(new GetEbsEncryptionByDefaultCommand({}));
      const key = await this.ec2.send(new GetEbsDefaultKmsKeyIdCommand({}));
      return { byDefault: on.EbsEncryptionByDefault ?? false, keyId: key.KmsKeyId };
    });
  }
}
