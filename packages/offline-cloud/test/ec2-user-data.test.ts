/**
 * An instance runs its real user data, as cloud-init does: a bash script, once, as root, its output on the
 * console; `aws s3 cp`, `dnf` and `shutdown` are the offline cloud's stand-ins and behave as on Amazon Linux
 * 2023, network reachability included; absolute paths stay in the instance's folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, pollUntil, startEc2 } from './helpers/ec2-harness';
import { BOOT_SCRIPT, bootUserData, userDataOf } from './helpers/ec2-boot-script';

let h: Ec2Harness;
beforeEach(async () => {
  h = await startEc2({ s3Objects: { 'assets/agent/boot.js': BOOT_SCRIPT } });
});
afterEach(() => h.close());

async function launch(userData: string, more: Partial<RunInstancesCommandInput> = {}): Promise<string> {
  const run = await h.client.send(new RunInstancesCommand({ ImageId: 'ami-0lifeboat0offline', MinCount: 1, MaxCount: 1, UserData: userData, ...more }));
  return run.Instances![0].InstanceId!;
}
const noPublicIp = { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }] };
const consoleText = async (id: string) =>
  Buffer.from((await h.client.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString('utf8');
const consoleShows = (id: string, text: string) =>
  pollUntil(async () => ((await consoleText(id)).includes(text) ? consoleText(id) : undefined), `console of ${id} to show ${text}`, 20_000);
const instance = async (id: string) => (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0].Instances![0];
const stateIs = (id: string, want: string) => pollUntil(async () => ((await instance(id)).State!.Name === want ? true : undefined), `${id} ${want}`, 20_000);
const agentStarted = (id: string) => fs.existsSync(path.join(h.ec2.instanceDir(id), 'state.json'));

test('with no path to S3, aws s3 cp fails as the CLI does after its connect timeout, on the console, and the agent never starts', async () => {
  const id = await launch(bootUserData('assets', 'agent/boot.js'), noPublicIp);
  const text = await consoleShows(id, 'Failed running');
  expect(text).toContain('hello\n');
  expect(text).toContain('fatal error: Connect timeout on endpoint URL: "https://assets.s3.us-east-1.amazonaws.com/agent/boot.js"');
  expect(text).toContain('cloud-init: Failed running /var/lib/cloud/instance/scripts/part-001 [1]');
  expect(agentStarted(id)).toBe(false);
});

test('with no path to S3, dnf cannot reach the AL2023 repositories: it fails after the timeout and installs nothing', async () => {
  const id = await launch(userDataOf(['set -e', 'dnf install -y nodejs20', 'echo never']), noPublicIp);
  const text = await consoleShows(id, 'Failed running');
  expect(text).toMatch(/Curl error \(28\): Timeout was reached for https:\/\/al2023-repos-us-east-1-[0-9a-f]+\.s3\.dualstack\.us-east-1\.amazonaws\.com\//);
  expect(text).toContain("Error: Failed to download metadata for repo 'amazonlinux'");
  expect(text).toContain('part-001 [1]');
  expect(text).not.toContain('never');
  expect(fs.existsSync(path.join(h.ec2.instanceDir(id), 'guest', 'usr', 'bin', 'node-20'))).toBe(false);
});

test("with a path to S3, dnf installs node-20 (this machine's node) and an unknown package fails as dnf does; node is not there before", async () => {
  const id = await launch(
    userDataOf([
      'command -v node || echo "no node yet"',
      'dnf install -y nodejs20',
      'node-20 -e "console.log(\'node \' + process.version)"',
      'dnf install -y no-such-package || echo "dnf said $?"',
    ]),
  );
  const text = await consoleShows(id, 'dnf said');
  expect(text).toContain('no node yet');
  expect(text).toContain(`node ${process.version}`);
  expect(text).toContain('No match for argument: no-such-package');
  expect(text).toContain('dnf said 1');
});

test("aws s3 cp of a missing key prints the CLI's 404 and exits 1", async () => {
  const id = await launch(userDataOf(['AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s aws s3 cp s3://assets/missing.js /tmp/x || echo "aws said $?"']));
  const text = await consoleShows(id, 'aws said');
  expect(text).toContain('fatal error: An error occurred (404) when calling the HeadObject operation: Key "missing.js" does not exist');
  expect(text).toContain('aws said 1');
});

test('aws s3 cp without an instance profile has no credentials, as the CLI says', async () => {
  const id = await launch(userDataOf(['aws s3 cp s3://assets/agent/boot.js /tmp/x || echo "aws said $?"']));
  const text = await consoleShows(id, 'aws said');
  expect(text).toContain('Unable to locate credentials');
  expect(text).toContain('aws said 253');
});

describe.each([
  ['a mount namespace', undefined],
  ['a mount namespace in a user namespace (the way without root)', 'userns'],
  ['the literal-path rewrite (no namespace)', 'rewrite'],
])('absolute paths land in the instance folder, never on this machine, with %s', (_name, isolation) => {
  beforeEach(() => {
    if (isolation) process.env.OFFLINE_CLOUD_GUEST_ISOLATION = isolation;
  });
  afterEach(() => {
    delete process.env.OFFLINE_CLOUD_GUEST_ISOLATION;
  });

  test('writes to /opt, /var/log and /tmp', async () => {
    const mark = `lifeboat-user-data-${process.pid}-${isolation ?? 'ns'}`;
    const id = await launch(
      userDataOf([
        `mkdir -p /opt/${mark}`,
        `echo opt > /opt/${mark}/x`,
        `echo log >> /var/log/${mark}.log`,
        `echo tmp > /tmp/${mark}`,
        `cat /opt/${mark}/x`,
        'echo whoami=$(id -u)',
        'echo done',
      ]),
    );
    const text = await consoleShows(id, 'done');
    const rootfs = path.join(h.ec2.instanceDir(id), 'rootfs');
    expect(fs.readFileSync(path.join(rootfs, 'opt', mark, 'x'), 'utf8')).toBe('opt\n');
    expect(fs.readFileSync(path.join(rootfs, 'var', 'log', `${mark}.log`), 'utf8')).toBe('log\n');
    expect(fs.readFileSync(path.join(rootfs, 'tmp', mark), 'utf8')).toBe('tmp\n');
    for (const host of [`/opt/${mark}`, `/var/log/${mark}.log`, `/tmp/${mark}`]) expect(fs.existsSync(host)).toBe(false);
    expect(text).toContain('opt\n');
    // cloud-init runs user data as root; in a user namespace the mapped root is root too
    if (isolation !== 'rewrite' || process.getuid?.() === 0) expect(text).toContain('whoami=0');
  });
});

test.each([
  ['terminate', 'terminated'],
  ['stop', 'stopped'],
] as const)('shutdown -h now from the guest: InstanceInitiatedShutdownBehavior %s leaves the instance %s', async (behaviour, final) => {
  const id = await launch(userDataOf(['echo bye', 'shutdown -h now']), { InstanceInitiatedShutdownBehavior: behaviour });
  await stateIs(id, final);
  const inst = await instance(id);
  expect(inst.StateReason).toEqual({ Code: 'Client.InstanceInitiatedShutdown', Message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown' });
  expect(inst.StateTransitionReason).toBe('Client.InstanceInitiatedShutdown: Instance initiated shutdown');
  expect(await consoleText(id)).toContain('the guest OS powered off (shutdown)');
});

test('shutdown -h +30 schedules the power-off 30 minutes out (the instance runs meanwhile); shutdown -c cancels one', async () => {
  const before = Date.now();
  const id = await launch(userDataOf(['shutdown -h +30', 'echo scheduled']));
  await consoleShows(id, 'scheduled');
  const file = path.join(h.ec2.instanceDir(id), 'guest', 'run', 'shutdown.json');
  const { at } = JSON.parse(fs.readFileSync(file, 'utf8')) as { at: number };
  expect(at).toBeGreaterThanOrEqual(before + 30 * 60_000);
  expect(at).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
  expect((await instance(id)).State!.Name).toBe('running');

  const cancelled = await launch(userDataOf(['shutdown -h +5', 'shutdown -c', 'echo cancelled']));
  await consoleShows(cancelled, 'cancelled');
  expect(fs.existsSync(path.join(h.ec2.instanceDir(cancelled), 'guest', 'run', 'shutdown.json'))).toBe(false);
});

test("a launch template's InstanceInitiatedShutdownBehavior (as Lifeboat's workers have: terminate) decides what the guest's shutdown does", async () => {
  const template = await h.client.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'worker-like',
      LaunchTemplateData: { ImageId: 'ami-0lifeboat0offline', UserData: userDataOf(['shutdown -h now']), InstanceInitiatedShutdownBehavior: 'terminate' },
    }),
  );
  const versions = await h.client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId }));
  expect(versions.LaunchTemplateVersions![0].LaunchTemplateData!.InstanceInitiatedShutdownBehavior).toBe('terminate');
  const run = await h.client.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: 'worker-like' } }));
  await stateIs(run.Instances![0].InstanceId!, 'terminated');
});

test('invalid InstanceInitiatedShutdownBehavior is refused as EC2 refuses it', async () => {
  await expect(launch(userDataOf(['true']), { InstanceInitiatedShutdownBehavior: 'hibernate' as never })).rejects.toMatchObject({
    name: 'InvalidParameterValue',
  });
});

test('user data runs once per instance: after a stop and start it does not run again, and the console says why', async () => {
  const id = await launch(userDataOf(['echo first-boot']));
  await consoleShows(id, 'first-boot');
  await h.client.send(new StopInstancesCommand({ InstanceIds: [id] }));
  await stateIs(id, 'stopped');
  await h.client.send(new StartInstancesCommand({ InstanceIds: [id] }));
  const text = await consoleShows(id, 'runs once per instance');
  expect(text.match(/first-boot/g)).toHaveLength(1);
});

test.each([
  ['cloud-config', '#cloud-config\nruncmd:\n  - echo hi\n', 'cloud-config user data is not supported'],
  ['MIME multi-part', 'Content-Type: multipart/mixed; boundary="//"\nMIME-Version: 1.0\n\n--//\n', 'MIME multi-part user data is not supported'],
])('%s user data is refused loudly on the console; nothing runs', async (_kind, text, message) => {
  const id = await launch(Buffer.from(text).toString('base64'));
  await consoleShows(id, message);
  expect(fs.existsSync(path.join(h.ec2.instanceDir(id), 'guest', 'user-data'))).toBe(false);
});
