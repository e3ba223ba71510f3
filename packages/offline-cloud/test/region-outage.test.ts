/**
 * PUT /_lifeboat/regions/{region}/outage: while a region is down every service of it is unreachable (the
 * connection drops unanswered: the SDK surfaces a network error, never an HTTP status), other regions answer,
 * and bringing it back finds its state as it was; the outage set survives a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateVolumeCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EBSClient, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { startTestCloud, TEST_CREDENTIALS, type TestCloud } from '../src/testing';
import { signedIamQuery } from './helpers/iam-query';

let t: TestCloud;
const clients: Array<{ destroy(): void }> = [];

function regionClients(region: string) {
  const config = { endpoint: t.url, region, credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  const c = { ec2: new EC2Client(config), ebs: new EBSClient(config), s3: new S3Client({ ...config, forcePathStyle: true }), sfn: new SFNClient(config) };
  clients.push(...Object.values(c));
  return c;
}

const outage = (region: string, body: unknown) =>
  fetch(`${t.url}/_lifeboat/regions/${region}/outage`, { method: 'PUT', body: typeof body === 'string' ? body : JSON.stringify(body) });

/** The error a call failed with: a network error carries no HTTP status. */
async function networkFailure(p: Promise<unknown>): Promise<{ name?: string; code?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('the call succeeded in a region that is down');
}

beforeAll(async () => {
  t = await startTestCloud();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await t.stop();
});

test('the route refuses what it cannot act on, with the fix in the message', async () => {
  expect((await outage('eu-west-1', 'not json')).status).toBe(400);
  const noDown = await outage('eu-west-1', { down: 'yes' });
  expect(noDown.status).toBe(400);
  expect(((await noDown.json()) as { error: string }).error).toContain('"down"');
  expect((await outage('moon-base-9x', { down: true })).status).toBe(400);
  expect(await (await fetch(`${t.url}/_lifeboat/regions`)).json()).toEqual({ down: [] });
});

test('a region that is down answers nothing for any service; another region answers; it comes back as it was', async () => {
  const west = regionClients('eu-west-1');
  const east = regionClients('us-east-1');
  const volumeId = (await west.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'eu-west-1a', Size: 1 }))).VolumeId!;
  await west.s3.send(new CreateBucketCommand({ Bucket: 'west-outage' }));
  await west.s3.send(new PutObjectCommand({ Bucket: 'west-outage', Key: 'k', Body: 'kept' }));

  const down = await outage('eu-west-1', { down: true });
  expect(await down.json()).toEqual({ region: 'eu-west-1', down: true });
  expect(await (await fetch(`${t.url}/_lifeboat/regions`)).json()).toEqual({ down: ['eu-west-1'] });
  const failures = await Promise.all([
    networkFailure(west.ec2.send(new DescribeVolumesCommand({}))),
    networkFailure(west.ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-0123456789abcdef0' }))),
    networkFailure(west.s3.send(new GetObjectCommand({ Bucket: 'west-outage', Key: 'k' }))),
    networkFailure(west.sfn.send(new ListStateMachinesCommand({}))),
  ]);
  for (const f of failures) {
    expect(f.$metadata?.httpStatusCode).toBeUndefined();
    expect(`${f.name} ${f.code} ${(f as Error).message}`).toMatch(/ECONNRESET|socket hang up|TimeoutError|EPIPE/);
  }
  // us-east-1 (and IAM, signed for it) keep answering
  expect((await east.ec2.send(new DescribeVolumesCommand({}))).Volumes!.map((v) => v.VolumeId)).not.toContain(volumeId);
  expect((await signedIamQuery(t.url, { Action: 'ListRoles' })).status).toBe(200);

  expect((await outage('eu-west-1', { down: false })).status).toBe(200);
  expect((await west.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes).toHaveLength(1);
  expect(await (await west.s3.send(new GetObjectCommand({ Bucket: 'west-outage', Key: 'k' }))).Body!.transformToString()).toBe('kept');
});

test('IAM goes with us-east-1, where it signs', async () => {
  await outage('us-east-1', { down: true });
  try {
    await expect(signedIamQuery(t.url, { Action: 'ListRoles' })).rejects.toThrow();
  } finally {
    await outage('us-east-1', { down: false });
  }
  expect((await signedIamQuery(t.url, { Action: 'ListRoles' })).status).toBe(200);
});

test('the outage set survives a restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-outage-restart-'));
  const first = await startTestCloud({ dataDir });
  await fetch(`${first.url}/_lifeboat/regions/ap-southeast-2/outage`, { method: 'PUT', body: '{"down": true}' });
  await first.stop();
  const second = await startTestCloud({ dataDir });
  try {
    expect(await (await fetch(`${second.url}/_lifeboat/regions`)).json()).toEqual({ down: ['ap-southeast-2'] });
  } finally {
    await second.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
