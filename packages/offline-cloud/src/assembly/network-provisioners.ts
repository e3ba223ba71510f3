/**
 * The EC2 network resources of an assembly, created through the EC2 API as CloudFormation does, with
 * Ref (physical id) and GetAtt (attributes) as the CloudFormation resource reference documents them:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_EC2.html
 */
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  type IpPermission,
  ModifySubnetAttributeCommand,
  type ResourceType,
  RevokeSecurityGroupEgressCommand,
  type TagSpecification,
} from '@aws-sdk/client-ec2';

type Tag = { Key: string; Value: string };
type Props = Record<string, unknown>;
export interface NetworkResult {
  physicalId: string;
  attributes: Record<string, unknown>;
}

const tagSpec = (type: ResourceType, props: Props): TagSpecification[] | undefined => {
  const tags = props.Tags as Tag[] | undefined;
  return tags?.length ? [{ ResourceType: type, Tags: tags }] : undefined;
};
const str = (v: unknown) => (v === undefined ? undefined : String(v));
const num = (v: unknown) => (v === undefined ? undefined : Number(v));

/** A CloudFormation egress rule (SecurityGroupEgress property or resource) as an IpPermission. */
export function egressPermission(r: Props): IpPermission {
  const protocol = String(r.IpProtocol ?? '-1');
  return {
    IpProtocol: protocol,
    ...(protocol === '-1' ? {} : { FromPort: num(r.FromPort), ToPort: num(r.ToPort) }),
    IpRanges: r.CidrIp ? [{ CidrIp: String(r.CidrIp), Description: str(r.Description) }] : undefined,
    PrefixListIds: r.DestinationPrefixListId ? [{ PrefixListId: String(r.DestinationPrefixListId) }] : undefined,
    UserIdGroupPairs: r.DestinationSecurityGroupId ? [{ GroupId: String(r.DestinationSecurityGroupId) }] : undefined,
  };
}

/**
 * AWS::EC2::SecurityGroup's SecurityGroupEgress: "When you specify a VPC security group, Amazon EC2 creates a
 * default egress rule that allows egress traffic on all ports and IP protocols to any location. The default
 * rule is removed only when you specify one or more egress rules."
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 */
export async function replaceDefaultEgress(ec2: EC2Client, groupId: string, rules: Props[]): Promise<void> {
  await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
  await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: rules.map(egressPermission) }));
}

/** Creates one network resource, or answers undefined for a type that is not one. */
export async function provisionNetwork(logicalId: string, type: string, p: Props, ec2: EC2Client): Promise<NetworkResult | undefined> {
  switch (type) {
    case 'AWS::EC2::VPC': {
      const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: str(p.CidrBlock), TagSpecifications: tagSpec('vpc', p) }))).Vpc!;
      const sg = (
        await ec2.send(
          new DescribeSecurityGroupsCommand({
            Filters: [
              { Name: 'vpc-id', Values: [vpc.VpcId!] },
              { Name: 'group-name', Values: ['default'] },
            ],
          }),
        )
      ).SecurityGroups![0];
      return {
        physicalId: vpc.VpcId!,
        attributes: { VpcId: vpc.VpcId, CidrBlock: vpc.CidrBlock, DefaultSecurityGroup: sg.GroupId, CidrBlockAssociations: [], Ipv6CidrBlocks: [] },
      };
    }
    case 'AWS::EC2::Subnet': {
      const s = (
        await ec2.send(
          new CreateSubnetCommand({
            VpcId: str(p.VpcId),
            CidrBlock: str(p.CidrBlock),
            AvailabilityZone: str(p.AvailabilityZone),
            TagSpecifications: tagSpec('subnet', p),
          }),
        )
      ).Subnet!;
      if (p.MapPublicIpOnLaunch === true || p.MapPublicIpOnLaunch === 'true') {
        await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: s.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
      }
      return { physicalId: s.SubnetId!, attributes: { SubnetId: s.SubnetId, VpcId: s.VpcId, AvailabilityZone: s.AvailabilityZone, CidrBlock: s.CidrBlock } };
    }
    case 'AWS::EC2::RouteTable': {
      const t = (await ec2.send(new CreateRouteTableCommand({ VpcId: str(p.VpcId), TagSpecifications: tagSpec('route-table', p) }))).RouteTable!;
      return { physicalId: t.RouteTableId!, attributes: { RouteTableId: t.RouteTableId } };
    }
    case 'AWS::EC2::SubnetRouteTableAssociation': {
      const a = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: str(p.RouteTableId), SubnetId: str(p.SubnetId) }));
      return { physicalId: a.AssociationId!, attributes: { Id: a.AssociationId } };
    }
    case 'AWS::EC2::Route': {
      await ec2.send(
        new CreateRouteCommand({
          RouteTableId: str(p.RouteTableId),
          DestinationCidrBlock: str(p.DestinationCidrBlock),
          GatewayId: str(p.GatewayId),
          NatGatewayId: str(p.NatGatewayId),
        }),
      );
      // CloudFormation's Ref of a route names its table and destination.
      return { physicalId: `${String(p.RouteTableId)}|${String(p.DestinationCidrBlock)}`, attributes: {} };
    }
    case 'AWS::EC2::InternetGateway': {
      const g = (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', p) }))).InternetGateway!;
      return { physicalId: g.InternetGatewayId!, attributes: { InternetGatewayId: g.InternetGatewayId } };
    }
    case 'AWS::EC2::VPCGatewayAttachment': {
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: str(p.InternetGatewayId), VpcId: str(p.VpcId) }));
      return { physicalId: `IGW|${String(p.VpcId)}`, attributes: {} };
    }
    case 'AWS::EC2::EIP': {
      const a = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', p) }));
      return { physicalId: a.PublicIp!, attributes: { AllocationId: a.AllocationId, PublicIp: a.PublicIp } };
    }
    case 'AWS::EC2::NatGateway': {
      const n = (
        await ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: str(p.SubnetId),
            AllocationId: str(p.AllocationId),
            ConnectivityType: str(p.ConnectivityType) as 'public' | 'private' | undefined,
            TagSpecifications: tagSpec('natgateway', p),
          }),
        )
      ).NatGateway!;
      return { physicalId: n.NatGatewayId!, attributes: { NatGatewayId: n.NatGatewayId } };
    }
    case 'AWS::EC2::VPCEndpoint': {
      const e = (
        await ec2.send(
          new CreateVpcEndpointCommand({
            VpcId: str(p.VpcId),
            ServiceName: str(p.ServiceName),
            VpcEndpointType: (str(p.VpcEndpointType) ?? 'Gateway') as 'Gateway' | 'Interface',
            RouteTableIds: p.RouteTableIds as string[] | undefined,
            SubnetIds: p.SubnetIds as string[] | undefined,
            SecurityGroupIds: p.SecurityGroupIds as string[] | undefined,
          }),
        )
      ).VpcEndpoint!;
      return {
        physicalId: e.VpcEndpointId!,
        attributes: { Id: e.VpcEndpointId, CreationTimestamp: e.CreationTimestamp?.toISOString(), DnsEntries: [], NetworkInterfaceIds: [] },
      };
    }
    case 'AWS::EC2::SecurityGroupEgress': {
      await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: str(p.GroupId), IpPermissions: [egressPermission(p)] }));
      const id = `sgr-${logicalId
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 17)
        .padEnd(17, '0')}`;
      return { physicalId: id, attributes: { Id: id } };
    }
    default:
      return undefined;
  }
}
