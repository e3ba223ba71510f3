/**
 * The composed offline cloud: routing by SigV4 scope to the real emulators, faults on the real
 * services, the /_lifeboat/ control routes, and the temp data dir.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { CreateVolumeCommand, DescribeVolumesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { EBSClient, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { startCloud } from '../src/cloud';
import { DEFAULT_IMAGE_ID } from '../src/ec2/index';
import { clientConfig, startTestCloud, TEST_TIMINGS, TestCloud } from '../src/testing';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A request signed only as far as the edge looks: the credential scope names the service. */
function scopedHeaders(service: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d+/g, ''),
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  };
}

describe('a running cloud', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(() => t.stop());

  test('GET /_lifeboat/faults shows the live config; PUT changes it at run time', async () => {
    const before = (await (await fetch(`${t.url}/_lifeboat/faults`)).json()) as { faults: unknown; counts: unknown };
    expect(before.faults).toEqual(t.cloud.faults);
    expect(before.counts).toEqual(t.cloud.faultCounts);
    const put = await fetch(`${t.url}/_lifeboat/faults`, {
      method: 'PUT',
      body: JSON.stringify({ spec: 'throttle=0.25,seed=9', latencyMs: 3 }),
    });
    expect(put.status).toBe(200);
    expect(t.cloud.faults).toMatchObject({ throttleRate: 0.25, seed: 9, latencyMs: 3, serverErrorRate: 0 });
    const reset = await fetch(`${t.url}/_lifeboat/faults`, { method: 'PUT', body: JSON.stringify({ spec: 'throttle=0,latency=0' }) });
    expect(((await reset.json()) as { faults: unknown }).faults).toMatchObject({ throttleRate: 0, latencyMs: 0, seed: 9 });
  });

  test('a bad fault update is refused with 400 naming the problem, and changes nothing', async () => {
    const badSpec = await fetch(`${t.url}/_lifeboat/faults`, { method: 'PUT', body: JSON.stringify({ spec: 'throttle=0.1,5xx=3' }) });
    expect(badSpec.status).toBe(400);
    expect(((await badSpec.json()) as { error: string }).error).toContain("'5xx=3'");
    const badField = await fetch(`${t.url}/_lifeboat/faults`, { method: 'PUT', body: JSON.stringify({ throttle: 1 }) });
    expect(badField.status).toBe(400);
    expect(((await badField.json()) as { error: string }).error).toContain('unknown fault field(s): throttle');
    expect(t.cloud.faults.throttleRate).toBe(0);
  });

  test('killing an instance with no agent process answers 404', async () => {
    const res = await fetch(`${t.url}/_lifeboat/instances/i-0123456789abcdef0/kill`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain('i-0123456789abcdef0');
    expect(t.cloud.faultCounts.kill).toBeUndefined();
  });

  test("POST /_lifeboat/instances/{id}/kill kills a booted instance's agent process and counts it", async () => {
    // a stand-in agent that records its pid (in its instance folder, its cwd) and then idles
    // (the user data carries it: without an instance profile the instance has no credentials to fetch it from S3)
    const agent = "require('fs').writeFileSync('agent.pid', String(process.pid)); setInterval(() => {}, 1000);";
    const userData = Buffer.from(
      `#!/bin/bash\nset -e\ncat > /opt/agent.js <<'EOF'\n${agent}\nEOF\ndnf install -y nodejs20\nexec node-20 /opt/agent.js\n`,
    ).toString('base64');
    const run = await t.ec2.send(
      new RunInstancesCommand({ ImageId: DEFAULT_IMAGE_ID, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1, UserData: userData }),
    );
    const instanceId = run.Instances![0].InstanceId!;
    const pidFile = path.join(t.cloud.ec2.instanceDir(instanceId), 'agent.pid');
    const pid = await until('the agent to start', () => (fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : undefined));
    expect(alive(pid)).toBe(true);

    const res = await fetch(`${t.url}/_lifeboat/instances/${instanceId}/kill`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ killed: instanceId });
    expect(t.cloud.faultCounts.kill).toBe(1);
    await until('the agent process to be gone', () => (alive(pid) ? undefined : true));
    const again = await fetch(`${t.url}/_lifeboat/instances/${instanceId}/kill`, { method: 'POST' });
    expect(again.status).toBe(404);
  });

  test('other /_lifeboat/ paths reach the admin route', async () => {
    const res = await fetch(`${t.url}/_lifeboat/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  test('a request scoped to a service the cloud does not emulate gets a clear 400', async () => {
    const res = await fetch(`${t.url}/`, { method: 'POST', headers: scopedHeaders('dynamodb'), body: '{}' });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("offline cloud: no emulated service named 'dynamodb'");
  });

  test('each SigV4 service name reaches its own emulator', async () => {
    const created = await t.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
    const described = await t.ec2.send(new DescribeVolumesCommand({ VolumeIds: [created.VolumeId!] }));
    expect(described.Volumes?.[0].VolumeId).toBe(created.VolumeId);
    // EBS answers in its own REST-JSON shape: a typed exception with its Reason
    await expect(t.ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-0123456789abcdef0' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    const machines = await t.sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines).toEqual([]);
    const buckets = await t.s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets).toBeDefined();
  });

  test('faults hit the real EC2 and EBS emulators (default services), not S3 or Step Functions', async () => {
    const throttledBefore = t.cloud.faultCounts.throttle ?? 0;
    t.cloud.faults.throttleRate = 1;
    try {
      const ec2 = new EC2Client(clientConfig(t.url, { maxAttempts: 1 }));
      const ebs = new EBSClient(clientConfig(t.url, { maxAttempts: 1 }));
      await expect(ec2.send(new DescribeVolumesCommand({}))).rejects.toMatchObject({
        name: 'RequestLimitExceeded',
        $metadata: { httpStatusCode: 503 },
      });
      await expect(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-0123456789abcdef0' }))).rejects.toMatchObject({
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 429 },
      });
      expect((await t.sfn.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
      expect((await t.s3.send(new ListBucketsCommand({}))).Buckets).toBeDefined();
      expect(t.cloud.faultCounts.throttle).toBe(throttledBefore + 2);
      ec2.destroy();
      ebs.destroy();
    } finally {
      t.cloud.faults.throttleRate = 0;
    }
  });

  test('an s3-scoped request goes to S3', async () => {
    await t.s3.send(new CreateBucketCommand({ Bucket: 'routing-check' }));
    const res = await fetch(`${t.url}/`, { headers: scopedHeaders('s3') });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Name>routing-check</Name>');
  });
});

test('without a data dir the cloud uses a temp dir and removes it on stop (stop is idempotent)', async () => {
  const cloud = await startCloud({ timings: TEST_TIMINGS, quiet: true });
  expect(fs.existsSync(cloud.dataDir)).toBe(true);
  await Promise.all([cloud.stop(), cloud.stop()]);
  expect(fs.existsSync(cloud.dataDir)).toBe(false);
});
