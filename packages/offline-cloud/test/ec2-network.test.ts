/** The offline EC2 network calls through @aws-sdk/client-ec2: shapes, dependencies and AWS's error codes. */
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  AllocateAddressCommand,
  DescribeNatGatewaysCommand,
  ModifySubnetAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, startEc2 } from './helpers/ec2-harness';

let h: Ec2Harness;
afterEach(() => h?.close());

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { name?: string }) => e.name,
  );

describe('the default VPC', () => {
  beforeEach(async () => {
    h = await startEc2();
  });

  it('has one public default subnet per AZ, an attached internet gateway routed from the main table, no NAT, no endpoints', async () => {
    const vpcs = (await h.client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs!;
    expect(vpcs).toHaveLength(1);
    const vpcId = vpcs[0].VpcId!;
    const subnets = (await h.client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets!;
    expect(subnets.map((s) => s.AvailabilityZone).sort()).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(subnets.every((s) => s.DefaultForAz && s.MapPublicIpOnLaunch)).toBe(true);
    const igws = (await h.client.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] }))).InternetGateways!;
    expect(igws).toHaveLength(1);
    const main = (
      await h.client.send(
        new DescribeRouteTablesCommand({
          Filters: [
            { Name: 'association.main', Values: ['true'] },
            { Name: 'vpc-id', Values: [vpcId] },
          ],
        }),
      )
    ).RouteTables!;
    expect(main).toHaveLength(1);
    expect(main[0].Routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ DestinationCidrBlock: '172.31.0.0/16', GatewayId: 'local', State: 'active' }),
        expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: igws[0].InternetGatewayId, State: 'active' }),
      ]),
    );
    expect((await h.client.send(new DescribeNatGatewaysCommand({}))).NatGateways).toEqual([]);
    expect((await h.client.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints).toEqual([]);
    const groups = (await h.client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).SecurityGroups!;
    expect(groups.map((g) => g.GroupName)).toEqual(['default']);
  });

  it('gives a new security group the allow-all egress rule, which can be revoked and replaced by HTTPS only', async () => {
    const { GroupId } = await h.client.send(new CreateSecurityGroupCommand({ GroupName: 'w', Description: 'w' }));
    const egress = async () => (await h.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [GroupId!] }))).SecurityGroups![0].IpPermissionsEgress;
    expect(await egress()).toEqual([expect.objectContaining({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })]);
    const all = { GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] };
    const https = { GroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] };
    expect(await code(h.client.send(new AuthorizeSecurityGroupEgressCommand(all)))).toBe('InvalidPermission.Duplicate');
    await h.client.send(new RevokeSecurityGroupEgressCommand(all));
    expect(await code(h.client.send(new RevokeSecurityGroupEgressCommand(all)))).toBe('InvalidPermission.NotFound');
    await h.client.send(new AuthorizeSecurityGroupEgressCommand(https));
    expect(await egress()).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    expect(await code(h.client.send(new AuthorizeSecurityGroupEgressCommand({ ...https, GroupId: 'sg-00000000000000000' })))).toBe('InvalidGroup.NotFound');
  });
});

describe('an account without a default VPC (--no-default-vpc)', () => {
  beforeEach(async () => {
    h = await startEc2({ noDefaultVpc: true });
  });

  it('has no VPC, and RunInstances without a subnet and CreateSecurityGroup without a VpcId fail with VPCIdNotSpecified', async () => {
    expect((await h.client.send(new DescribeVpcsCommand({}))).Vpcs).toEqual([]);
    expect(await code(h.client.send(new CreateSecurityGroupCommand({ GroupName: 'x', Description: 'x' })))).toBe('VPCIdNotSpecified');
    expect(await code(h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1 })))).toBe('VPCIdNotSpecified');
  });
});

describe('building a VPC', () => {
  beforeEach(async () => {
    h = await startEc2({ noDefaultVpc: true });
  });

  it('creates, associates, routes and deletes as AWS does, with DependencyViolation and NotFound codes', async () => {
    const c = h.client;
    expect(await code(c.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })))).toBe('InvalidVpc.Range');
    const vpc = (
      await c.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'dr' }] }] }))
    ).Vpc!;
    expect(vpc.Tags).toEqual([{ Key: 'Name', Value: 'dr' }]);
    const VpcId = vpc.VpcId!;
    expect(await code(c.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.1.0.0/24' })))).toBe('InvalidSubnet.Range');
    expect(await code(c.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.0.0/24', AvailabilityZone: 'eu-west-1a' })))).toBe('InvalidParameterValue');
    const pub = (await c.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.0.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!;
    expect(pub.MapPublicIpOnLaunch).toBe(false);
    expect(await code(c.send(new CreateSubnetCommand({ VpcId, CidrBlock: '10.0.0.128/25' })))).toBe('InvalidSubnet.Conflict');
    await c.send(new ModifySubnetAttributeCommand({ SubnetId: pub.SubnetId, MapPublicIpOnLaunch: { Value: true } }));
    expect((await c.send(new DescribeSubnetsCommand({ SubnetIds: [pub.SubnetId!] }))).Subnets![0].MapPublicIpOnLaunch).toBe(true);

    const igw = (await c.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    const rtb = (await c.send(new CreateRouteTableCommand({ VpcId }))).RouteTable!.RouteTableId!;
    expect(await code(c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw })))).toBe('InvalidParameterValue');
    await c.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId }));
    await c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    expect(await code(c.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw })))).toBe('RouteAlreadyExists');
    const { AssociationId } = await c.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: pub.SubnetId }));
    expect(await code(c.send(new DeleteRouteTableCommand({ RouteTableId: rtb })))).toBe('DependencyViolation');
    expect(await code(c.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw })))).toBe('DependencyViolation');
    expect(await code(c.send(new DeleteVpcCommand({ VpcId })))).toBe('DependencyViolation');

    const eip = await c.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    expect(await code(c.send(new CreateNatGatewayCommand({ SubnetId: pub.SubnetId })))).toBe('MissingParameter');
    const nat = (await c.send(new CreateNatGatewayCommand({ SubnetId: pub.SubnetId, AllocationId: eip.AllocationId }))).NatGateway!;
    expect(nat).toMatchObject({ State: 'pending', ConnectivityType: 'public', NatGatewayAddresses: [expect.objectContaining({ PublicIp: eip.PublicIp })] });
    expect(await code(c.send(new DeleteSubnetCommand({ SubnetId: pub.SubnetId })))).toBe('DependencyViolation');
    expect(await code(c.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId })))).toBe('DependencyViolation');

    expect(await code(c.send(new CreateVpcEndpointCommand({ VpcId, ServiceName: 'com.amazonaws.us-east-1.nope', RouteTableIds: [rtb] })))).toBe(
      'InvalidServiceName',
    );
    const vpce = (
      await c.send(new CreateVpcEndpointCommand({ VpcId, VpcEndpointType: 'Gateway', ServiceName: 'com.amazonaws.us-east-1.s3', RouteTableIds: [rtb] }))
    ).VpcEndpoint!;
    expect(vpce).toMatchObject({ VpcEndpointType: 'Gateway', State: 'available', RouteTableIds: [rtb] });
    const routes = (await c.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0].Routes!;
    expect(routes).toEqual(
      expect.arrayContaining([expect.objectContaining({ GatewayId: vpce.VpcEndpointId, DestinationPrefixListId: expect.stringMatching(/^pl-/) })]),
    );
    const gone = await c.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [vpce.VpcEndpointId!, 'vpce-00000000000000000'] }));
    expect(gone.Unsuccessful).toEqual([
      expect.objectContaining({ ResourceId: 'vpce-00000000000000000', Error: expect.objectContaining({ Code: 'InvalidVpcEndpoint.NotFound' }) }),
    ]);

    await c.send(new DisassociateRouteTableCommand({ AssociationId }));
    expect(await code(c.send(new DisassociateRouteTableCommand({ AssociationId })))).toBe('InvalidAssociationID.NotFound');
    await c.send(new DeleteRouteTableCommand({ RouteTableId: rtb }));
    expect(await code(c.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] })))).toBe('InvalidRouteTableID.NotFound');
    expect(await code(c.send(new DescribeVpcsCommand({ VpcIds: ['vpc-00000000000000000'] })))).toBe('InvalidVpcID.NotFound');
    expect(await code(c.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: ['igw-00000000000000000'] })))).toBe(
      'InvalidInternetGatewayID.NotFound',
    );
  });
});
