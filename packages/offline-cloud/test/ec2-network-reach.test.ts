/**
 * Reachability: a booted instance's process reaches S3 (and other services) only along a path AWS would
 * route, and only where its security groups let HTTPS out; IMDS always answers; GetConsoleOutput shows
 * why a boot never got its script.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  type EC2Client,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcEndpointCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcsCommand,
  GetConsoleOutputCommand,
  RevokeSecurityGroupEgressCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, pollUntil, startEc2 } from './helpers/ec2-harness';
import { bootUserData } from './helpers/ec2-boot-script';

/** Probes S3, EC2 and IMDS in a loop with its own 400 ms client timeout, and writes the last outcome. */
const PROBE_SCRIPT = `
const fs = require('fs');
const base = process.env.AWS_ENDPOINT_URL;
const auth = (svc, region = 'us-east-1') => ({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/' + region + '/' + svc + '/aws4_request, SignedHeaders=host, Signature=0' });
const get = (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(400) }).then((r) => 'ok', () => 'timeout');
(async () => {
  for (;;) {
    const s = {
      s3: await get(base + '/assets/agent/boot.js', { headers: auth('s3') }),
      // S3 of another region (a replica bucket in the recovery region)
      s3West: await get(base + '/assets/agent/boot.js', { headers: auth('s3', 'eu-west-1') }),
      ec2: await get(base + '/?Action=DescribeRegions', { headers: auth('ec2') }),
      imds: await get(process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT + 'latest/api/token', { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } }),
    };
    fs.writeFileSync('reach.json.tmp', JSON.stringify(s));
    fs.renameSync('reach.json.tmp', 'reach.json');
    await new Promise((r) => setTimeout(r, 20));
  }
})();
`;

let h: Ec2Harness;
beforeEach(async () => {
  h = await startEc2({ s3Objects: { 'assets/agent/boot.js': PROBE_SCRIPT } });
});
afterEach(() => h.close());

type Reach = { s3: string; s3West: string; ec2: string; imds: string };
const reach = (id: string): Reach | undefined => {
  try {
    return JSON.parse(fs.readFileSync(path.join(h.ec2.instanceDir(id), 'reach.json'), 'utf8')) as Reach;
  } catch {
    return undefined;
  }
};
const until = (id: string, want: Partial<Reach>) =>
  pollUntil(
    () => {
      const r = reach(id);
      return r && Object.entries(want).every(([k, v]) => r[k as keyof Reach] === v) ? r : undefined;
    },
    `instance ${id} to see ${JSON.stringify(want)}`,
    20_000,
  );

async function launch(c: EC2Client, nic: { SubnetId?: string; AssociatePublicIpAddress?: boolean } = {}): Promise<string> {
  const res = await c.send(
    new RunInstancesCommand({
      ImageId: 'ami-0lifeboat0offline',
      MinCount: 1,
      MaxCount: 1,
      UserData: bootUserData('assets', 'agent/boot.js'),
      ...(Object.keys(nic).length ? { NetworkInterfaces: [{ DeviceIndex: 0, ...nic }] } : {}),
    }),
  );
  return res.Instances![0].InstanceId!;
}

const consoleText = async (id: string) =>
  Buffer.from((await h.client.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString('utf8');

async function defaultVpc(): Promise<string> {
  return (await h.client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0].VpcId!;
}

/** A subnet of the default VPC with its own route table (no internet route) and no public IPs. */
async function privateSubnet(cidr: string): Promise<{ subnetId: string; routeTableId: string; vpcId: string }> {
  const vpcId = await defaultVpc();
  const subnetId = (await h.client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  const routeTableId = (await h.client.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
  await h.client.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
  return { subnetId, routeTableId, vpcId };
}

it('a default-subnet instance with a public IP reaches S3 and EC2 through the internet gateway; IMDS answers', async () => {
  const id = await launch(h.client);
  await until(id, { s3: 'ok', s3West: 'ok', ec2: 'ok', imds: 'ok' });
});

it('without a public IP its user data cannot fetch the script: the console shows the aws s3 cp connect timeout', async () => {
  const id = await launch(h.client, { AssociatePublicIpAddress: false });
  const text = await pollUntil(async () => ((await consoleText(id)).includes('Connect timeout') ? consoleText(id) : undefined), 'the console line', 20_000);
  expect(text).toContain('fatal error: Connect timeout on endpoint URL: "https://assets.s3.us-east-1.amazonaws.com/agent/boot.js"');
  expect(reach(id)).toBeUndefined();
});

it('security group egress without HTTPS makes S3 and EC2 time out while IMDS still answers', async () => {
  const id = await launch(h.client);
  await until(id, { s3: 'ok' });
  const vpcId = await defaultVpc();
  const sg = (
    await h.client.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'group-name', Values: ['default'] },
        ],
      }),
    )
  ).SecurityGroups![0];
  await h.client.send(
    new RevokeSecurityGroupEgressCommand({ GroupId: sg.GroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
  );
  await until(id, { s3: 'timeout', ec2: 'timeout', imds: 'ok' });
});

it("an S3 gateway endpoint on a private subnet's route table reaches its region's S3 only (EC2 and another region's S3 time out)", async () => {
  const net = await privateSubnet('172.31.48.0/24');
  await h.client.send(
    new CreateVpcEndpointCommand({
      VpcId: net.vpcId,
      VpcEndpointType: 'Gateway',
      ServiceName: 'com.amazonaws.us-east-1.s3',
      RouteTableIds: [net.routeTableId],
    }),
  );
  const id = await launch(h.client, { SubnetId: net.subnetId });
  await until(id, { s3: 'ok', s3West: 'timeout', ec2: 'timeout', imds: 'ok' });
});

it('a route to a NAT gateway in a public subnet reaches S3 (of any region) and EC2 without a public IP', async () => {
  const net = await privateSubnet('172.31.49.0/24');
  const publicSubnet = (await h.client.send(new CreateSubnetCommand({ VpcId: net.vpcId, CidrBlock: '172.31.50.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!
    .SubnetId!;
  const eip = await h.client.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const nat = (await h.client.send(new CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId: eip.AllocationId }))).NatGateway!.NatGatewayId!;
  await h.client.send(new CreateRouteCommand({ RouteTableId: net.routeTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
  const id = await launch(h.client, { SubnetId: net.subnetId });
  await until(id, { s3: 'ok', s3West: 'ok', ec2: 'ok' });
});
