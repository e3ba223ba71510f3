import fs from 'node:fs';
import path from 'node:path';
import {
  AttachVolumeCommand,
  CreateLaunchTemplateCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, pollUntil, startEc2 } from './helpers/ec2-harness';
import { RegionOutages } from '../src/region-outage';
import { AWS_TIMINGS } from '../src/aws-timings';
import { BOOT_SCRIPT, bootUserData } from './helpers/ec2-boot-script';

const DEVICE_PREFIX = 'nvme-Amazon_Elastic_Block_Store_vol';

let h: Ec2Harness;
beforeEach(async () => {
  h = await startEc2({ s3Objects: { 'assets/agent/boot.js': BOOT_SCRIPT } });
});
afterEach(() => h.close());

interface BootState {
  pid: number;
  env: Record<string, string>;
  cwd: string;
  devices: Array<[string, string]>;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const bootState = (id: string) => readJson<BootState>(path.join(h.ec2.instanceDir(id), 'state.json'));
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function launch(metadataTags: 'enabled' | 'disabled'): Promise<string> {
  const name = `boot-${metadataTags}`;
  await h.client.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: name,
      LaunchTemplateData: {
        ImageId: 'ami-0lifeboat0offline',
        UserData: bootUserData('assets', 'agent/boot.js'),
        MetadataOptions: { InstanceMetadataTags: metadataTags, HttpTokens: 'required' },
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Role', Value: 'zsat' }] }],
      },
    }),
  );
  const run = await h.client.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: name } }));
  return run.Instances![0].InstanceId!;
}

async function imdsGet(id: string, p: string): Promise<{ status: number; body: string }> {
  const base = `${h.url}/_imds/${id}/latest/`;
  const token = await (await fetch(`${base}api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
  const res = await fetch(`${base}meta-data/${p}`, { headers: { 'x-aws-ec2-metadata-token': token } });
  return { status: res.status, body: await res.text() };
}

test('a running instance runs its boot script with only the cloud environment and its volumes as device links', async () => {
  const id = await launch('enabled');
  const state = await pollUntil(() => bootState(id), 'boot script running');
  const dir = h.ec2.instanceDir(id);
  expect(fs.realpathSync(state.cwd)).toBe(fs.realpathSync(dir));
  const deviceDir = path.join(dir, 'dev', 'disk', 'by-id');
  // The process talks to its own network interface (src/ec2/instance-network.ts), not to the edge.
  const nic = state.env.AWS_ENDPOINT_URL;
  expect(nic).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(nic).not.toBe(h.url);
  expect(state.env).toMatchObject({
    // the guest OS's PATH: its installed packages, the stand-ins, the base tools; not this machine's PATH
    PATH: [path.join(dir, 'guest', 'usr', 'bin'), path.join(dir, 'guest', 'sbin'), path.join(h.dataDir, 'guest-os', 'bin')].join(':'),
    HOME: dir,
    AWS_ENDPOINT_URL: nic,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_SERVICE_ENDPOINT: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/),
    LIFEBOAT_DEVICE_DIR: deviceDir,
  });
  // no keys: an instance's credentials come from its instance profile through IMDS (the aws command above brought its own)
  expect(Object.keys(state.env).filter((k) => k.startsWith('AWS_') && /KEY|TOKEN/.test(k))).toEqual([]);
  const inst = (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  expect(inst.State!.Name).toBe('running');
  const rootId = inst.BlockDeviceMappings![0].Ebs!.VolumeId!;
  expect(state.devices).toEqual([[`${DEVICE_PREFIX}${rootId.slice(4)}`, h.storage.volumePath(rootId)]]);
  // the script's /opt is the instance's rootfs/opt; its output is the console
  expect(fs.readFileSync(path.join(dir, 'rootfs', 'opt', 'agent', 'boot.js'), 'utf8')).toBe(BOOT_SCRIPT);
  const consoleText = fs.readFileSync(path.join(dir, 'console.log'), 'utf8');
  expect(consoleText).toContain('hello\n');
  expect(consoleText).toContain('download: s3://assets/agent/boot.js to /opt/agent/boot.js');
  expect(consoleText).toContain(`booted ${state.pid}`);

  // what the agent learns through IMDS: its id, AZ and (enabled here) its tags
  const imds = await pollUntil(() => readJson<Record<string, { status: number; body: string }>>(path.join(dir, 'imds.json')), 'imds answers');
  expect(imds.id).toEqual({ status: 200, body: id });
  expect(imds.az).toEqual({ status: 200, body: inst.Placement!.AvailabilityZone });
  expect(imds.role).toEqual({ status: 200, body: 'zsat' });
  expect(imds.keys.body.split('\n')).toEqual(['Role', 'aws:ec2launchtemplate:id', 'aws:ec2launchtemplate:version']);

  // a volume attached after boot appears as a link
  const v = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: inst.Placement!.AvailabilityZone!, Size: 1 }));
  await pollUntil(async () => {
    const out = await h.client.send(new DescribeVolumesCommand({ VolumeIds: [v.VolumeId!] }));
    return out.Volumes![0].State === 'available' ? true : undefined;
  }, 'volume available');
  await h.client.send(new AttachVolumeCommand({ VolumeId: v.VolumeId!, InstanceId: id, Device: '/dev/sdf' }));
  const withData = await pollUntil(() => {
    const s = bootState(id);
    return s && s.devices.length === 2 ? s : undefined;
  }, 'attached volume linked');
  expect(withData.devices).toContainEqual([`${DEVICE_PREFIX}${v.VolumeId!.slice(4)}`, h.storage.volumePath(v.VolumeId!)]);

  // the agent dies; the VM stays running
  expect(h.ec2.killInstanceProcess(id)).toBe(true);
  await pollUntil(() => (isAlive(state.pid) ? undefined : true), 'process gone');
  expect(h.ec2.killInstanceProcess(id)).toBe(false);
  const after = (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
  expect(after.State!.Name).toBe('running');
});

test('IMDS serves tags only when InstanceMetadataTags is enabled; a token is required when HttpTokens is required', async () => {
  const without = await launch('disabled');
  const withTags = await launch('enabled');
  await pollUntil(
    () => (h.ec2.instanceMetadata(without)?.state === 'running' && h.ec2.instanceMetadata(withTags)?.state === 'running' ? true : undefined),
    'running',
  );
  expect(await imdsGet(without, 'tags/instance')).toEqual({ status: 404, body: expect.any(String) });
  expect(await imdsGet(without, 'tags/instance/Role')).toMatchObject({ status: 404 });
  expect(await imdsGet(without, 'instance-id')).toEqual({ status: 200, body: without });
  expect(await imdsGet(withTags, 'tags/instance/Role')).toEqual({ status: 200, body: 'zsat' });
  expect(await imdsGet(withTags, 'tags/instance/Missing')).toMatchObject({ status: 404 });
  const noToken = await fetch(`${h.url}/_imds/${withTags}/latest/meta-data/instance-id`);
  expect(noToken.status).toBe(401);
  const unknown = await fetch(`${h.url}/_imds/i-0123456789abcdef0/latest/meta-data/instance-id`);
  expect(unknown.status).toBe(404);
});

test('terminating an instance kills its process and removes its device links', async () => {
  const id = await launch('disabled');
  const state = await pollUntil(() => bootState(id), 'boot script running');
  expect(isAlive(state.pid)).toBe(true);
  await h.client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  await pollUntil(() => (isAlive(state.pid) ? undefined : true), 'process killed by terminate');
  await pollUntil(async () => {
    const out = await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    return out.Reservations![0].Instances![0].State!.Name === 'terminated' ? true : undefined;
  }, 'terminated');
  expect(fs.readdirSync(path.join(h.ec2.instanceDir(id), 'dev', 'disk', 'by-id'))).toEqual([]);
});

const instanceState = async (id: string) =>
  (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0].State!.Name;

test('with bootMs the guest boots first: the script starts that long after running, and a terminate meanwhile starts nothing', async () => {
  h.ctx.timings.bootMs = 1000;
  const slow = await launch('disabled');
  const runningAt = await pollUntil(async () => ((await instanceState(slow)) === 'running' ? Date.now() : undefined), 'running');
  expect(bootState(slow)).toBeUndefined();
  await pollUntil(() => bootState(slow), 'boot script running');
  expect(Date.now() - runningAt).toBeGreaterThanOrEqual(900);

  const cancelled = await launch('enabled');
  await pollUntil(async () => ((await instanceState(cancelled)) === 'running' ? true : undefined), 'running');
  await h.client.send(new TerminateInstancesCommand({ InstanceIds: [cancelled] }));
  await pollUntil(async () => ((await instanceState(cancelled)) === 'terminated' ? true : undefined), 'terminated');
  await new Promise((r) => setTimeout(r, 1200)); // past the boot delay: proving that nothing starts needs the wait
  expect(bootState(cancelled)).toBeUndefined();
});

test("a region outage stops its instances' processes; once it is back, a running instance boots again", async () => {
  await h.close();
  const outages = new RegionOutages();
  h = await startEc2({ s3Objects: { 'assets/agent/boot.js': BOOT_SCRIPT }, outages });
  const id = await launch('disabled');
  const first = await pollUntil(() => bootState(id), 'boot script running');
  outages.set('us-east-1', true);
  await pollUntil(() => (isAlive(first.pid) ? undefined : true), 'process stopped by the outage');
  expect(await instanceState(id)).toBe('running'); // the model keeps the instance as it was
  outages.set('us-east-1', false);
  const again = await pollUntil(() => {
    const s = bootState(id);
    return s && s.pid !== first.pid && isAlive(s.pid) ? s : undefined;
  }, 'booted again after the outage');
  expect(again.pid).not.toBe(first.pid);
});

test('a guest keeps the cloud clock: its agent starts the AWS instance and boot times after launch, however fast they pass here', async () => {
  const clockScript = "require('fs').writeFileSync('guest-clock.json', JSON.stringify({ now: Date.now() }));";
  // 100x: the 26 AWS seconds to boot take a quarter of a real second, and the CLI's 60 s connect timeout still 600 ms
  const fast = await startEc2({ timeScale: 100, timings: AWS_TIMINGS, s3Objects: { 'assets/clock.js': clockScript } });
  try {
    const run = await fast.client.send(
      new RunInstancesCommand({ MinCount: 1, MaxCount: 1, ImageId: 'ami-0lifeboat0offline', UserData: bootUserData('assets', 'clock.js') }),
    );
    const instance = run.Instances![0];
    const seen = await pollUntil(
      () => readJson<{ now: number }>(path.join(fast.ec2.instanceDir(instance.InstanceId!), 'guest-clock.json')),
      'the guest to write its time',
      20_000,
    );
    // pending → running, then the guest OS boots before cloud-init runs the user data (src/aws-timings.ts)
    expect(seen.now - instance.LaunchTime!.getTime()).toBeGreaterThanOrEqual(AWS_TIMINGS.instanceMs + AWS_TIMINGS.bootMs);
    expect(seen.now).toBeLessThanOrEqual(fast.ctx.clock.now());
  } finally {
    await fast.close();
  }
});
