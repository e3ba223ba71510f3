/** The EC2 network resources of a small CDK assembly deployed onto the offline cloud, with Ref/GetAtt as CloudFormation returns them. */
import { TEST_TIMINGS } from '../src/testing';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcEndpointsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type Cloud, startCloud } from '../src/cloud';

let cloud: Cloud;
let client: EC2Client;
let outputs: Record<string, unknown>;

function synthFixture(dir: string): void {
  const app = new App({ outdir: dir });
  const stack = new Stack(app, 'NetFixture');
  const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.20.0.0/16' });
  const pub = new ec2.CfnSubnet(stack, 'Public', { vpcId: vpc.ref, cidrBlock: '10.20.0.0/24', availabilityZone: 'us-east-1a', mapPublicIpOnLaunch: true });
  const priv = new ec2.CfnSubnet(stack, 'Private', { vpcId: vpc.ref, cidrBlock: '10.20.1.0/24', availabilityZone: 'us-east-1a' });
  const igw = new ec2.CfnInternetGateway(stack, 'Igw');
  const attach = new ec2.CfnVPCGatewayAttachment(stack, 'Attach', { vpcId: vpc.ref, internetGatewayId: igw.ref });
  const pubRt = new ec2.CfnRouteTable(stack, 'PublicRt', { vpcId: vpc.ref });
  new ec2.CfnSubnetRouteTableAssociation(stack, 'PublicAssoc', { subnetId: pub.ref, routeTableId: pubRt.ref });
  new ec2.CfnRoute(stack, 'PublicDefault', { routeTableId: pubRt.ref, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.ref }).addDependency(attach);
  const eip = new ec2.CfnEIP(stack, 'NatIp', { domain: 'vpc' });
  const nat = new ec2.CfnNatGateway(stack, 'Nat', { subnetId: pub.ref, allocationId: eip.attrAllocationId });
  const privRt = new ec2.CfnRouteTable(stack, 'PrivateRt', { vpcId: vpc.ref });
  new ec2.CfnSubnetRouteTableAssociation(stack, 'PrivateAssoc', { subnetId: priv.ref, routeTableId: privRt.ref });
  new ec2.CfnRoute(stack, 'PrivateDefault', { routeTableId: privRt.ref, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat.ref });
  const s3 = new ec2.CfnVPCEndpoint(stack, 'S3', {
    vpcId: vpc.ref,
    serviceName: Fn.sub('com.amazonaws.${AWS::Region}.s3'),
    vpcEndpointType: 'Gateway',
    routeTableIds: [privRt.ref],
  });
  const sg = new ec2.CfnSecurityGroup(stack, 'Workers', {
    groupDescription: 'https out',
    vpcId: vpc.ref,
    securityGroupEgress: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' }],
  });
  new ec2.CfnSecurityGroupEgress(stack, 'Dns', { groupId: sg.attrGroupId, ipProtocol: 'udp', fromPort: 53, toPort: 53, cidrIp: '10.20.0.2/32' });
  new CfnOutput(stack, 'VpcRef', { value: vpc.ref });
  new CfnOutput(stack, 'VpcDefaultSg', { value: vpc.attrDefaultSecurityGroup });
  new CfnOutput(stack, 'SubnetAz', { value: pub.attrAvailabilityZone });
  new CfnOutput(stack, 'EipRef', { value: eip.ref });
  new CfnOutput(stack, 'EipAllocation', { value: eip.attrAllocationId });
  new CfnOutput(stack, 'NatRef', { value: nat.ref });
  new CfnOutput(stack, 'EndpointRef', { value: s3.ref });
  new CfnOutput(stack, 'GroupId', { value: sg.attrGroupId });
  new CfnOutput(stack, 'PrivateSubnet', { value: priv.ref });
  new CfnOutput(stack, 'PrivateRtRef', { value: privRt.ref });
  app.synth();
}

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'net-assembly-'));
  synthFixture(dir);
  cloud = await startCloud({ timings: TEST_TIMINGS, assemblyDir: dir, quiet: true, noDefaultVpc: true });
  client = new EC2Client({ endpoint: cloud.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  outputs = cloud.sfn.deployedStacks().find((s) => s.stackName === 'NetFixture')!.outputs;
}, 120_000);

afterAll(async () => {
  client?.destroy();
  await cloud?.stop();
});

it('answers Ref and GetAtt with the ids CloudFormation returns', () => {
  expect(outputs).toMatchObject({
    VpcRef: expect.stringMatching(/^vpc-/),
    VpcDefaultSg: expect.stringMatching(/^sg-/),
    SubnetAz: 'us-east-1a',
    EipRef: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
    EipAllocation: expect.stringMatching(/^eipalloc-/),
    NatRef: expect.stringMatching(/^nat-/),
    EndpointRef: expect.stringMatching(/^vpce-/),
    GroupId: expect.stringMatching(/^sg-/),
  });
});

it('creates the network the template describes: public subnet, NAT route, S3 gateway endpoint, HTTPS-only egress plus the extra rule', async () => {
  const subnets = (await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [String(outputs.VpcRef)] }] }))).Subnets!;
  expect(subnets.map((s) => [s.CidrBlock, s.MapPublicIpOnLaunch]).sort()).toEqual([
    ['10.20.0.0/24', true],
    ['10.20.1.0/24', false],
  ]);
  const rt = (await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [String(outputs.PrivateRtRef)] }))).RouteTables![0];
  expect(rt.Associations).toEqual([expect.objectContaining({ SubnetId: outputs.PrivateSubnet })]);
  expect(rt.Routes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: outputs.NatRef }),
      expect.objectContaining({ GatewayId: outputs.EndpointRef }),
    ]),
  );
  const endpoint = (await client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [String(outputs.EndpointRef)] }))).VpcEndpoints![0];
  expect(endpoint).toMatchObject({ ServiceName: 'com.amazonaws.us-east-1.s3', VpcEndpointType: 'Gateway' });
  const sg = (await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [String(outputs.GroupId)] }))).SecurityGroups![0];
  expect(sg.IpPermissionsEgress!.map((p) => [p.IpProtocol, p.FromPort, p.ToPort]).sort()).toEqual([
    ['tcp', 443, 443],
    ['udp', 53, 53],
  ]);
});
