import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateLaunchTemplateCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  CreateSecurityGroupCommand,
} from '@aws-sdk/client-ec2';
import { type Ec2Harness, pollUntil, startEc2 } from './helpers/ec2-harness';
import { BOOT_SCRIPT, bootUserData } from './helpers/ec2-boot-script';

let dataDir: string;
const open: Ec2Harness[] = [];
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ec2-persist-'));
});
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function start(restoreFrom?: unknown): Promise<Ec2Harness> {
  const h = await startEc2({ dataDir, restoreFrom, s3Objects: { 'assets/boot.js': BOOT_SCRIPT }, timings: { snapshotMs: 1500 } });
  open.push(h);
  return h;
}

const pidOf = (h: Ec2Harness, id: string) => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(h.ec2.instanceDir(id), 'state.json'), 'utf8')) as { pid: number }).pid;
  } catch {
    return undefined;
  }
};

/** Everything a client can see, minus what changes with time (snapshot progress). */
async function view(h: Ec2Harness) {
  const c = h.client;
  return {
    volumes: (await c.send(new DescribeVolumesCommand({}))).Volumes,
    snapshots: (await c.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots!.map(({ Progress, State, ...s }) => s),
    instances: (await c.send(new DescribeInstancesCommand({}))).Reservations,
    templates: (await c.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates,
    groups: (await c.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups,
    subnets: (await c.send(new DescribeSubnetsCommand({}))).Subnets,
  };
}

test('toJSON/restore: the model survives a restart; running instances boot again; timers resume; client tokens hold', async () => {
  const h1 = await start();
  const c = h1.client;
  await c.send(
    new CreateSecurityGroupCommand({
      GroupName: 'g',
      Description: 'd',
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'Owner', Value: 's1' }] }],
    }),
  );
  await c.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'lt-boot',
      LaunchTemplateData: { ImageId: 'ami-0lifeboat0offline', UserData: bootUserData('assets', 'boot.js') },
    }),
  );
  const vol = await c.send(
    new CreateVolumeCommand({
      AvailabilityZone: 'us-east-1a',
      Size: 1,
      ClientToken: 'v-1',
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Owner', Value: 's1' }] }],
    }),
  );
  const run = await c.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, LaunchTemplate: { LaunchTemplateName: 'lt-boot' } }));
  const id = run.Instances![0].InstanceId!;
  const firstPid = await pollUntil(() => pidOf(h1, id), 'first boot');
  await pollUntil(async () => {
    const v = await c.send(new DescribeVolumesCommand({ VolumeIds: [vol.VolumeId!] }));
    return v.Volumes![0].State === 'available' ? true : undefined;
  }, 'volume available');
  const snap = await c.send(new CreateSnapshotCommand({ VolumeId: vol.VolumeId }));

  const saved = JSON.parse(JSON.stringify(h1.ec2.toJSON()));
  expect(saved.stores[0].state.model.snapshots[snap.SnapshotId!].state).toBe('pending');
  const before = await view(h1);
  open.splice(0);
  await h1.close(); // kills the boot process, as a cloud shutdown does
  await pollUntil(() => {
    try {
      process.kill(firstPid, 0);
      return undefined;
    } catch {
      return true;
    }
  }, 'first process gone');

  const h2 = await start(saved);
  expect(await view(h2)).toEqual(before);
  // the snapshot pending at save time completes after the restart
  await pollUntil(() => (h2.ec2.snapshots.get(snap.SnapshotId!)!.state === 'completed' ? true : undefined), 'snapshot completes');
  // the running instance's agent is started again, against the new endpoint
  const secondPid = await pollUntil(() => {
    const pid = pidOf(h2, id);
    return pid !== undefined && pid !== firstPid ? pid : undefined;
  }, 'second boot');
  expect(secondPid).not.toBe(firstPid);
  // the ClientToken still answers the same volume
  const again = await h2.client.send(
    new CreateVolumeCommand({
      AvailabilityZone: 'us-east-1a',
      Size: 1,
      ClientToken: 'v-1',
      TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Owner', Value: 's1' }] }],
    }),
  );
  expect(again.VolumeId).toBe(vol.VolumeId);
  expect(() => h2.ec2.restore({ nonsense: true })).toThrow(/version 1/);
});
