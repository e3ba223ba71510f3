/** A cloud with a data dir keeps its state across stop + start: EC2 model, volume bytes, SFN, S3. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, ListStateMachinesCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadState, STATE_FILE } from '../src/persistence';
import { startTestCloud, TestCloud } from '../src/testing';

const PASS_MACHINE = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', Result: { ok: true }, End: true } } });

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-persist-test-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('a mutation is saved to state.json soon after (debounced), without a stop', async () => {
  const t = await startTestCloud({ dataDir });
  try {
    expect(fs.existsSync(path.join(dataDir, STATE_FILE))).toBe(false);
    const { VolumeId } = await t.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1 }));
    const saved = await until('state.json to hold the volume', () => {
      const state = loadState(dataDir);
      return state && JSON.stringify(state.components.ec2).includes(VolumeId!) ? state : undefined;
    });
    expect(saved.version).toBe(1);
    // written atomically: a temp file renamed into place, none left behind
    expect(fs.readdirSync(dataDir).filter((f) => f.includes('.tmp'))).toEqual([]);
  } finally {
    await t.stop();
  }
});

test('EC2 volumes (tags and bytes), Step Functions machines and executions, and S3 objects survive a restart', async () => {
  let volumeId: string;
  let executionArn: string;
  const first: TestCloud = await startTestCloud({ dataDir });
  try {
    const created = await first.ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'us-east-1a',
        Size: 1,
        TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Owner', Value: 'site-a' }] }],
      }),
    );
    volumeId = created.VolumeId!;
    await until('the volume to be available', async () => {
      const d = await first.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
      return d.Volumes?.[0].State === 'available' ? true : undefined;
    });
    const written = await fetch(`${first.url}/_lifeboat/volumes/${volumeId}/data?offset=4096`, { method: 'PUT', body: 'lifeboat bytes' });
    expect(written.status).toBe(200);

    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:persisted';
    first.cloud.sfn.putStateMachine({ name: 'persisted', arn, definition: PASS_MACHINE, tags: [] });
    executionArn = (await first.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }))).executionArn!;
    await until('the execution to succeed', async () => {
      const d = await first.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'SUCCEEDED' ? true : undefined;
    });

    await first.s3.send(new CreateBucketCommand({ Bucket: 'replica' }));
    await first.s3.send(new PutObjectCommand({ Bucket: 'replica', Key: 'manifests/1.json', Body: '{"gen":1}' }));
  } finally {
    await first.stop();
  }

  const second = await startTestCloud({ dataDir });
  try {
    const d = await second.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    expect(d.Volumes?.[0]).toMatchObject({ VolumeId: volumeId, Size: 1, State: 'available', Tags: [{ Key: 'Owner', Value: 'site-a' }] });
    const bytes = await fetch(`${second.url}/_lifeboat/volumes/${volumeId}/data?offset=4096&length=14`);
    expect(await bytes.text()).toBe('lifeboat bytes');

    const machines = await second.sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => m.name)).toEqual(['persisted']);
    const execution = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });

    const obj = await second.s3.send(new GetObjectCommand({ Bucket: 'replica', Key: 'manifests/1.json' }));
    expect(await obj.Body!.transformToString()).toBe('{"gen":1}');
  } finally {
    await second.stop();
  }
});
