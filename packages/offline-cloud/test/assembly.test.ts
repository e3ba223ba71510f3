/**
 * deployAssembly against the offline cloud: the fixture CDK app's two stacks deployed in dependency
 * order, assets published to the emulated S3, EC2 resources created over the wire, ImportValue resolved.
 */
import {
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import { GetObjectCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURE } from './fixtures/sfn-app/app';
import { Harness, startHarness } from './fixtures/sfn-app/harness';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.sfn.deployAssembly(h.assemblyDir);
}, 90_000);

afterAll(async () => {
  await h?.close();
});

const stack = (name: string) => h.sfn.deployedStacks().find((s) => s.stackName === name)!;

/** Entries of a stored (uncompressed) zip: name → bytes. */
function readStoredZip(zip: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    expect(zip.readUInt16LE(at + 8)).toBe(0); // stored
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extra = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extra;
    out.set(name, zip.subarray(start, start + size));
    at = start + size;
  }
  expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
  expect(zip.readUInt16LE(zip.length - 22 + 10)).toBe(out.size);
  return out;
}

test('stacks deploy in dependency order and record outputs and exports', () => {
  const names = h.sfn.deployedStacks().map((s) => s.stackName);
  expect(names).toEqual(['FixtureShared', 'FixtureFlow']);
  const shared = stack('FixtureShared');
  const bucketName = shared.resources.Store1D2A845B.physicalId;
  expect(bucketName).toMatch(/^fixtureshared-store1d2a845b-[0-9a-f]{12}$/);
  expect(Object.values(shared.exports)).toEqual([bucketName]);
});

test('the bucket is created in the emulated S3 and keeps its tags on the stack record', async () => {
  const bucket = stack('FixtureShared').resources.Store1D2A845B;
  await expect(h.s3Client.send(new HeadBucketCommand({ Bucket: bucket.physicalId }))).resolves.toBeDefined();
  expect(bucket.attributes.Tags).toEqual([{ Key: 'Purpose', Value: 'fixture-store' }]);
  expect(bucket.attributes.Arn).toBe(`arn:aws:s3:::${bucket.physicalId}`);
});

test('file assets are published to the bootstrap bucket; folders as zips of their files', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(h.assemblyDir, 'FixtureFlow.assets.json'), 'utf8'));
  const [hash, asset] = Object.entries(manifest.files as Record<string, { source: { path: string; packaging: string } }>).find(
    ([, f]) => f.source.packaging === 'zip',
  )!;
  const bucket = 'cdk-hnb659fds-assets-000000000000-us-east-1';
  const zipObject = await h.s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: `${hash}.zip` }));
  const entries = readStoredZip(Buffer.from(await zipObject.Body!.transformToByteArray()));
  const folder = path.join(h.assemblyDir, asset.source.path);
  expect([...entries.keys()].sort()).toEqual(fs.readdirSync(folder).sort());
  expect(entries.get('index.js')!.equals(fs.readFileSync(path.join(folder, 'index.js')))).toBe(true);
  const templateKey = Object.entries(manifest.files as Record<string, { source: { packaging: string; path: string } }>).find(([, f]) =>
    f.source.path.endsWith('.template.json'),
  )![0];
  const template = await h.s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: `${templateKey}.json` }));
  expect(JSON.parse(await template.Body!.transformToString()).Resources).toBeDefined();
});

test('the security group is created in the emulated EC2 with its description, VPC and tags', async () => {
  const id = stack('FixtureShared').resources.SgD4954771.physicalId;
  const { SecurityGroups } = await h.ec2Client.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }));
  expect(SecurityGroups).toHaveLength(1);
  expect(SecurityGroups![0]).toMatchObject({ Description: 'fixture security group', VpcId: h.vpcId });
  expect(SecurityGroups![0].Tags).toEqual([{ Key: 'Purpose', Value: 'fixture-sg' }]);
});

test('the launch template gets the resolved AMI parameter, security group, user data and tags', async () => {
  const shared = stack('FixtureShared');
  const ltId = shared.resources.LtFD2A8520.physicalId;
  const { LaunchTemplates } = await h.ec2Client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [ltId] }));
  expect(LaunchTemplates![0].LaunchTemplateName).toBe(FIXTURE.launchTemplateName);
  expect(LaunchTemplates![0].Tags).toEqual(expect.arrayContaining([{ Key: 'Purpose', Value: 'fixture-lt' }]));
  expect(shared.resources.LtFD2A8520.attributes.LatestVersionNumber).toBe(String(LaunchTemplates![0].LatestVersionNumber));
  const { LaunchTemplateVersions } = await h.ec2Client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: ltId }));
  const data = LaunchTemplateVersions![0].LaunchTemplateData!;
  // the SSM AMI parameter resolves to the first image the emulated EC2 lists
  const firstImage = (await h.ec2Client.send(new DescribeImagesCommand({}))).Images![0].ImageId;
  expect(data.ImageId).toBe(firstImage);
  expect(data.InstanceType).toBe('t3.micro');
  expect(data.SecurityGroupIds).toEqual([shared.resources.SgD4954771.physicalId]);
  const userData = Buffer.from(data.UserData!, 'base64').toString('utf8');
  expect(userData).toBe(`#!/bin/bash\n${FIXTURE.userDataMarker}\necho bucket=${shared.resources.Store1D2A845B.physicalId}`);
  expect(data.TagSpecifications!.map((t) => t.ResourceType).sort()).toEqual(['instance', 'volume']);
});

test('Fn::ImportValue resolves the other stack export into the function environment', () => {
  const worker = h.sfn.default.toJSON().functions.find((f) => f.name === FIXTURE.workerName)!;
  expect(worker.environment).toEqual({ BUCKET_NAME: stack('FixtureShared').resources.Store1D2A845B.physicalId, STAGE: 'fixture' });
  expect(worker.timeoutSeconds).toBe(1);
  expect(worker.handler).toBe('index.handler');
  expect(fs.existsSync(path.join(worker.codeDir, 'index.js'))).toBe(true);
});

test('resources the cloud does not emulate are recorded with synthetic ids and ARNs', () => {
  const role = stack('FixtureFlow').resources.WorkerServiceRole8543584E;
  expect(role).toMatchObject({ type: 'AWS::IAM::Role', emulated: false, physicalId: 'FixtureFlow-WorkerServiceRole8543584E' });
  expect(role.attributes.Arn).toBe('arn:aws:iam:us-east-1:000000000000:role/WorkerServiceRole8543584E');
});

test('deploying the same assembly again updates in place without creating EC2 resources twice', async () => {
  const before = JSON.stringify(h.sfn.default.toJSON().functions);
  const physical = JSON.stringify(h.sfn.deployedStacks().map((st) => Object.values(st.resources).map((r) => r.physicalId)));
  await h.sfn.deployAssembly(h.assemblyDir);
  expect(JSON.stringify(h.sfn.deployedStacks().map((st) => Object.values(st.resources).map((r) => r.physicalId)))).toBe(physical);
  const templates = await h.ec2Client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [FIXTURE.launchTemplateName] }));
  expect(templates.LaunchTemplates).toHaveLength(1);
  const groups = await h.ec2Client.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:Purpose', Values: ['fixture-sg'] }] }));
  expect(groups.SecurityGroups).toHaveLength(1);
  expect(JSON.stringify(h.sfn.default.toJSON().functions)).toBe(before);
  expect(h.sfn.default.toJSON().stateMachines).toHaveLength(1);
  expect(h.sfn.default.toJSON().schedules).toHaveLength(1);
});
