/**
 * EC2's network calls are authorized on the resources the Service Authorization Reference names: what a call
 * creates with its request tags, what it names with that resource's tags (src/iam/ec2-network-authz.ts).
 */
import { AuthorizeSecurityGroupEgressCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, roleCredentials, writeAssembly } from './helpers/iam-assembly';

const ARN = (kind: string) => `arn:aws:ec2:${TEST_REGION}:000000000000:${kind}/*`;

const assembly = writeAssembly({
  Net: role('Net', 'lambda.amazonaws.com', [
    { Effect: 'Allow', Action: 'ec2:CreateSubnet', Resource: ARN('subnet'), Condition: { StringEquals: { 'aws:RequestTag/Owner': 'site-a' } } },
    { Effect: 'Allow', Action: 'ec2:CreateSubnet', Resource: ARN('vpc') },
    { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: ARN('subnet'), Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSubnet' } } },
    {
      Effect: 'Allow',
      Action: 'ec2:AuthorizeSecurityGroupEgress',
      Resource: ARN('security-group'),
      Condition: { StringEquals: { 'aws:ResourceTag/Owner': 'site-a' } },
    },
  ]),
});

let t: TestCloud;
let net: EC2Client;
let vpcId: string;

beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: assembly });
  net = new EC2Client({ endpoint: t.url, region: TEST_REGION, credentials: await roleCredentials(t.url, 'Net'), maxAttempts: 1 });
  vpcId = (await t.ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
});
afterAll(async () => {
  net?.destroy();
  await t?.stop();
});

const subnet = (owner: string, cidr: string) =>
  new CreateSubnetCommand({
    VpcId: vpcId,
    CidrBlock: cidr,
    AvailabilityZone: `${TEST_REGION}a`,
    TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Owner', Value: owner }] }],
  });

test('CreateSubnet: allowed with the request tag the policy asks for, refused with another', async () => {
  await expect(net.send(subnet('site-a', '10.20.1.0/24'))).resolves.toMatchObject({ Subnet: { VpcId: vpcId } });
  await expect(net.send(subnet('site-b', '10.20.2.0/24'))).rejects.toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
});

test('AuthorizeSecurityGroupEgress: allowed on a group with the resource tag, refused on another', async () => {
  const group = async (owner: string) =>
    (
      await t.ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `g-${owner}`,
          Description: 'x',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Owner', Value: owner }] }],
        }),
      )
    ).GroupId!;
  const rule = (GroupId: string) =>
    new AuthorizeSecurityGroupEgressCommand({
      GroupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
    });
  await expect(net.send(rule(await group('site-a')))).resolves.toMatchObject({ Return: true });
  await expect(net.send(rule(await group('site-b')))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
});
