/**
 * A recovery site in another region, end to end on the offline cloud (its accounts, regions and region outage):
 * a VPG protected in us-east-1 replicates into a replica bucket in eu-west-1, where its failback state machine,
 * ZImporters and RPO probe live. Two syncs run in us-east-1; then us-east-1 is taken down, and a failback started
 * in eu-west-1 recovers, from the replica alone, a VM whose disks equal the protected volumes at the checkpoint.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { clientConfig } from '@lifeboat/offline-cloud/src/testing';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage, type VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { runFailback } from '../../bin/demo/run-failback';
import { failbackStateMachineName, probeFunctionName, syncStateMachineName } from '../../runtime/core/resource-names';
import { deployTestSite, type TestSite } from '../helpers/site';
import { checksOf, doctorOf } from '../helpers/doctor';

const cli = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');
const SITE = 'dr2';
const VPG = 'app';
const RECOVERY = 'eu-west-1';
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'dr2-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  recoverySite: { region: RECOVERY },
  pollSeconds: 5,
};

let site: TestSite;
let app: ProtectedInstance;
let there: { ec2: EC2Client; sfn: SFNClient; s3: S3Client };
/** Device name → source volume id on the protected instance, read while its region is up. */
let devices: Map<string, string>;

beforeAll(async () => {
  site = await deployTestSite(config, { vcpuQuota: 16 });
  const inRecovery = { ...clientConfig(site.url), region: RECOVERY };
  there = { ec2: new EC2Client(inRecovery), sfn: new SFNClient(inRecovery), s3: new S3Client({ ...inRecovery, forcePathStyle: true }) };
  app = await createProtectedInstance(site.ec2, { tags: { app: 'dr2-app' }, volumeSizesGiB: [1, 1] });
  const described = await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [app.instanceId] }));
  const mappings = described.Reservations![0].Instances![0].BlockDeviceMappings ?? [];
  devices = new Map(mappings.map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
}, 300_000);

afterAll(async () => {
  for (const c of Object.values(there ?? {})) c.destroy();
  await site?.stop();
});

const outage = (region: string, down: boolean) =>
  fetch(`${site.url}/_lifeboat/regions/${region}/outage`, { method: 'PUT', body: JSON.stringify({ down }) }).then((r) => expect(r.status).toBe(200));

async function machineNames(sfn: SFNClient): Promise<string[]> {
  return ((await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).map((m) => m.name!);
}

describe('a recovery site in another region', () => {
  it('puts the syncs beside the instances and the replica and the failback in the recovery region', async () => {
    expect(await machineNames(site.sfn)).toEqual([syncStateMachineName(SITE, VPG)]);
    expect(await machineNames(there.sfn)).toEqual([failbackStateMachineName(SITE, VPG)]);
  });

  it('passes the preflight, which reads the sync’s needs in us-east-1 and the failback’s in eu-west-1', async () => {
    const report = await doctorOf(site);
    expect(checksOf(report, 'problem')).toEqual([]);
    const detail = (check: string) => report.checks.filter((c) => c.check === check).map((c) => c.detail);
    // the zSATs work beside the instances, the ZImporters and the recovered VMs in the recovery region
    expect(detail('zSAT network')).toEqual([expect.stringMatching(/^us-east-1a: /)]);
    expect(detail('ZImporter network')).toEqual([expect.stringMatching(new RegExp(`^${RECOVERY}a: `))]);
    // each region's alert topic: the recovery site's (RPO) and the protected region's (failed syncs)
    expect(detail('alerts')).toEqual([expect.stringContaining(`in ${RECOVERY}`), expect.stringContaining('in us-east-1')]);
    expect(detail('recovery subnet')).toEqual([expect.stringMatching(new RegExp(`default subnet subnet-\\S+ of ${RECOVERY}a`))]);
  });

  it('names, in the recovery region, a recovery mapping that names the protected region’s resources', async () => {
    const { SecurityGroups } = await site.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }));
    const protectedGroup = SecurityGroups![0].GroupId!;
    const mapped = path.join(path.dirname(site.configPath), 'mapped.config.json');
    const vpgs = [{ ...config.vpgs[0], recovery: { securityGroupIds: [protectedGroup], privateIps: { [app.instanceId]: '192.0.2.10' } } }];
    fs.writeFileSync(mapped, JSON.stringify({ ...config, vpgs }));
    const report = await doctorOf({ url: site.url, configPath: mapped });
    expect(checksOf(report, 'problem').map((c) => `${c.check}: ${c.detail}`)).toEqual([
      `recovery security groups: ${protectedGroup} does not exist in ${RECOVERY}`,
      expect.stringMatching(/^recovery private IPs: 192\.0\.2\.10 \(for i-\w+\) is outside \S+, the recovery subnet subnet-\w+$/),
    ]);
  });

  it('syncs into the recovery region, and recovers there byte for byte with the protected region down', async () => {
    const [dense, sparse] = app.volumes;
    await writeVolume(site.url, dense.volumeId, 0, seededBytes('dr2-dense', 12 * BLOCK_SIZE));
    await writePattern(site.url, sparse, { seed: 'dr2-s1', runs: 2, runBlocks: 3, scattered: 4 });
    const first = await runSync(site.sfn, site.syncArn(VPG), 'sync 1');
    await writePattern(site.url, dense, { seed: 'dr2-d2', runs: 1, runBlocks: 2, scattered: 3, trim: [1] });
    const second = await runSync(site.sfn, site.syncArn(VPG), 'sync 2');
    // the second sync read only what changed since the first
    expect(second.blocksRead).toBeLessThan(first.blocksRead);
    const expected = new Map<string, VolumeImage>();
    for (const v of app.volumes) expected.set(v.volumeId, await captureVolumeImage(site.url, v));

    // the packs and checkpoints are in the recovery region's bucket
    const keys = await there.s3.send(new ListObjectsV2Command({ Bucket: (await site.store(VPG)).bucket, Prefix: `vpgs/${VPG}/checkpoints/` }));
    expect((keys.Contents ?? []).filter((o) => o.Key!.endsWith('.json')).length).toBeGreaterThanOrEqual(2);

    await outage('us-east-1', true);
    try {
      // the RPO probe lives with the replica: with the protected region gone it still publishes the VPG's RPO (which
      // then grows until the RPO alarm fires) and says only that it could not list the syncs there
      const probe = (await site.cloud.sfn.invokeFunction(`arn:aws:lambda:${RECOVERY}:${site.cloud.ctx.accountId}:function:${probeFunctionName(SITE)}`, {})) as {
        vpgs: number;
        problems: string[];
      };
      expect(probe.vpgs).toBe(1);
      expect(probe.problems).toEqual([expect.stringMatching(new RegExp(`^${VPG} sync executions: `))]);
      // the CLI finds the store through the config's recoverySite: the checkpoints are listed with us-east-1 gone
      const listed = await cli(process.execPath, [LIFEBOAT, 'checkpoints', VPG, '--json', '--config', site.configPath], {
        env: { ...process.env, AWS_ENDPOINT_URL: site.url },
      });
      expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((c) => c.id)).toEqual([first.checkpointId, second.checkpointId]);
      // status reads the checkpoints, the RPO and the failbacks from the recovery site, and says the syncs are out of reach
      const status = await cli(process.execPath, [LIFEBOAT, 'status', '--json', '--config', site.configPath], {
        env: { ...process.env, AWS_ENDPOINT_URL: site.url },
      }).catch((err: { stdout: string }) => err);
      const [row] = JSON.parse(status.stdout) as Array<{
        lastCheckpointId: string;
        rpoSeconds: number;
        runningExecutions: { sync: number | null; failback: number | null };
        problems: string[];
      }>;
      expect(row).toMatchObject({ lastCheckpointId: second.checkpointId, runningExecutions: { sync: null, failback: 0 } });
      expect(row.rpoSeconds).toBeGreaterThanOrEqual(0);
      expect(row.problems).toEqual([expect.stringMatching(/^listing state machines in the protected region: /)]);
      // the failback's Lambdas, the replica and the ZImporters are all in eu-west-1: nothing there needs us-east-1
      const subnets = await there.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
      const subnetId = subnets.Subnets![0].SubnetId!;
      const run = await runFailback(there.sfn, site.failbackArn(VPG), { checkpoint: 'latest', mode: 'test', target: { subnetId } }, 'failback in eu-west-1');
      expect(run.checkpointId).toBe(second.checkpointId);
      const [vm] = run.recoveredInstances;
      expect(vm.sourceInstanceId).toBe(app.instanceId);
      const recovered = await there.ec2.send(new DescribeInstancesCommand({ InstanceIds: [vm.instanceId] }));
      const instance = recovered.Reservations![0].Instances![0];
      expect(instance.Placement!.AvailabilityZone!.startsWith(RECOVERY)).toBe(true);
      for (const m of instance.BlockDeviceMappings ?? []) {
        const source = devices.get(m.DeviceName!);
        const image = source ? expected.get(source) : undefined;
        if (!image) continue; // the root volume: not a protected data volume
        const got = await captureVolumeImage(site.url, { volumeId: m.Ebs!.VolumeId!, sizeBytes: image.sizeBytes });
        expect({ device: m.DeviceName, sha256: got.sha256 }).toEqual({ device: m.DeviceName, sha256: image.sha256 });
        expected.delete(source!);
      }
      // every protected data volume came back
      expect([...expected.keys()]).toEqual([]);
    } finally {
      await outage('us-east-1', false);
    }
  }, 600_000); // two syncs, a probe, a CLI call and a failback across regions (80-200 s on a shared machine)
});
