/**
 * A recovery site in another region, end to end on the offline cloud (its accounts, regions and region outage):
 * a VPG protected in us-east-1 replicates into a replica bucket in eu-west-1, where its failback state machine,
 * ZImporters, RPO probe and RPO alarm live. Two syncs run in us-east-1, after which the probe finds the RPO within
 * target and the alarm OK; then us-east-1 is taken down, and a failback started in eu-west-1 recovers, from the
 * replica alone, a VM whose disks equal the protected volumes at the checkpoint; as cloud time passes with no sync, the
 * RPO the probe publishes grows past the alarm's threshold and the alarm in eu-west-1 goes to ALARM and alerts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { S3Client, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { clientConfig } from '@lifeboat/offline-cloud/src/testing';
import { putRegionOutage } from '@lifeboat/offline-cloud/src/region-outage';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage, type VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { runFailback } from '../../bin/demo/run-failback';
import {
  alertTopicName,
  failbackStateMachineName,
  journalStateMachineName,
  probeFunctionName,
  rpoAlarmName,
  syncStateMachineName,
} from '../../runtime/core/resource-names';
import { METRIC, METRIC_DIMENSION, METRICS_NAMESPACE } from '../../runtime/core/monitoring/metrics';
import { pastNextEvaluation, passCloudTime } from '../helpers/cloud-time';
import { deployTestSite, type TestSite } from '../helpers/site';
import { checksOf, doctorOf } from '../helpers/doctor';

const cli = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');
const SITE = 'dr2';
const VPG = 'app';
const RECOVERY = 'eu-west-1';
/** A 15-minute interval: the RPO alarm's threshold (twice the interval, the default multiple) is 30 minutes away. */
const SYNC_INTERVAL_MINUTES = 15;
const RPO_THRESHOLD_SECONDS = 2 * SYNC_INTERVAL_MINUTES * 60;
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'dr2-app' } }, syncIntervalMinutes: SYNC_INTERVAL_MINUTES, journalHours: 24 }],
  recoverySite: { region: RECOVERY },
  pollSeconds: 5,
};

let site: TestSite;
let app: ProtectedInstance;
let there: { ec2: EC2Client; sfn: SFNClient; s3: S3Client; cw: CloudWatchClient };
/** Device name → source volume id on the protected instance, read while its region is up. */
let devices: Map<string, string>;

beforeAll(async () => {
  site = await deployTestSite(config, { vcpuQuota: 16 });
  const inRecovery = { ...clientConfig(site.url), region: RECOVERY };
  there = {
    ec2: new EC2Client(inRecovery),
    sfn: new SFNClient(inRecovery),
    s3: new S3Client({ ...inRecovery, forcePathStyle: true }),
    cw: new CloudWatchClient(inRecovery),
  };
  app = await createProtectedInstance(site.ec2, { tags: { app: 'dr2-app' }, volumeSizesGiB: [1, 1] });
  const described = await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [app.instanceId] }));
  const mappings = described.Reservations![0].Instances![0].BlockDeviceMappings ?? [];
  devices = new Map(mappings.map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
}, 300_000);

afterAll(async () => {
  for (const c of Object.values(there ?? {})) c.destroy();
  await site?.stop();
});

const outage = (region: string, down: boolean) => putRegionOutage(site.url, region, down);

async function machineNames(sfn: SFNClient): Promise<string[]> {
  return ((await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).map((m) => m.name!);
}

/** The RPO probe of the recovery region, run as its schedule would run it. */
const runProbe = async () =>
  (await site.cloud.sfn.invokeFunction(`arn:aws:lambda:${RECOVERY}:${site.cloud.ctx.accountId}:function:${probeFunctionName(SITE)}`, {})) as {
    vpgs: number;
    problems: string[];
  };

/** The VPG's RPO alarm, as DescribeAlarms answers it in the recovery region. */
async function rpoAlarm(): Promise<MetricAlarm> {
  const alarms = (await there.cw.send(new DescribeAlarmsCommand({ AlarmNames: [rpoAlarmName(SITE, VPG)] }))).MetricAlarms ?? [];
  expect(alarms.map((a) => a.AlarmName)).toEqual([rpoAlarmName(SITE, VPG)]);
  return alarms[0];
}

/** What the RPO alarm published to the recovery region's alert topic, oldest first. */
async function rpoAlerts(): Promise<Array<{ OldStateValue: string; NewStateValue: string; NewStateReason: string }>> {
  const topicArn = `arn:aws:sns:${RECOVERY}:${site.cloud.ctx.accountId}:${alertTopicName(SITE)}`;
  const res = await fetch(`${site.url}/_lifeboat/sns/messages?topicArn=${encodeURIComponent(topicArn)}`);
  expect(res.status).toBe(200);
  const published = ((await res.json()) as Array<{ message: string }>).map((m) => JSON.parse(m.message) as Record<string, string>);
  return published.filter((n) => n.AlarmName === rpoAlarmName(SITE, VPG)) as unknown as Array<{
    OldStateValue: string;
    NewStateValue: string;
    NewStateReason: string;
  }>;
}

/** The newest achieved RPO the recovery region's CloudWatch holds for the VPG (one-minute Maximum). */
async function latestRpoSeconds(): Promise<number> {
  const now = site.cloud.ctx.clock.now();
  const stats = await there.cw.send(
    new GetMetricStatisticsCommand({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRIC.rpoSeconds,
      Dimensions: [
        { Name: METRIC_DIMENSION.site, Value: SITE },
        { Name: METRIC_DIMENSION.vpg, Value: VPG },
      ],
      StartTime: new Date(now - 10 * 60_000),
      EndTime: new Date(now),
      Period: 60,
      Statistics: ['Maximum'],
    }),
  );
  const newest = (stats.Datapoints ?? []).sort((a, b) => b.Timestamp!.getTime() - a.Timestamp!.getTime())[0];
  expect(newest?.Maximum).toEqual(expect.any(Number));
  return newest.Maximum!;
}

/**
 * With the protected region gone no sync commits, so the RPO the recovery region's probe publishes grows by the cloud
 * time that passes. Probing every 4 minutes (its schedule's 5 at most), the alarm stays OK while the RPO is within the
 * threshold; once two probe periods are over it, the alarm goes to ALARM and alerts the topic, once.
 */
async function expectRpoAlarmAsTimePasses(alertsBefore: number): Promise<void> {
  const clock = site.cloud.ctx.clock;
  let rpo = await latestRpoSeconds();
  // the RPO grows at least 4 minutes a round: 30 minutes are passed in 8 rounds; 12 bound the loop
  for (let round = 0; round < 12 && rpo <= RPO_THRESHOLD_SECONDS; round++) {
    await passCloudTime(clock, 4 * 60_000);
    expect((await runProbe()).vpgs).toBe(1);
    await pastNextEvaluation(clock);
    rpo = await latestRpoSeconds();
    if (rpo <= RPO_THRESHOLD_SECONDS) expect((await rpoAlarm()).StateValue).toBe('OK');
  }
  expect(rpo).toBeGreaterThan(RPO_THRESHOLD_SECONDS);
  // a second probe period over the threshold: 2 out of 2 datapoints breach
  await passCloudTime(clock, 5 * 60_000);
  await runProbe();
  await pastNextEvaluation(clock);
  const alarm = await rpoAlarm();
  expect(alarm.StateValue).toBe('ALARM');
  expect(alarm.StateReason).toMatch(
    new RegExp(`^Threshold Crossed: 2 out of the last 2 datapoints \\[.+\\] were greater than the threshold \\(${RPO_THRESHOLD_SECONDS}\\.0\\)`),
  );
  // evaluations that find it in ALARM again alert no one again
  await passCloudTime(clock, 3 * 60_000);
  expect((await rpoAlarm()).StateValue).toBe('ALARM');
  expect((await rpoAlerts()).slice(alertsBefore).map((a) => [a.OldStateValue, a.NewStateValue])).toEqual([['OK', 'ALARM']]);
}

describe('a recovery site in another region', () => {
  it('puts the syncs beside the instances and the replica and the failback in the recovery region', async () => {
    expect(await machineNames(site.sfn)).toEqual([syncStateMachineName(SITE, VPG)]);
    // the journal is compacted beside the replica (test/e2e/recovery-journal.e2e.test.ts)
    expect((await machineNames(there.sfn)).sort()).toEqual([failbackStateMachineName(SITE, VPG), journalStateMachineName(SITE, VPG)].sort());
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

    // right after the sync the recovery region's probe publishes an RPO within target: the RPO alarm there is OK
    expect(await runProbe()).toEqual({ vpgs: 1, problems: [] });
    await pastNextEvaluation(site.cloud.ctx.clock);
    expect(await latestRpoSeconds()).toBeLessThanOrEqual(RPO_THRESHOLD_SECONDS);
    expect((await rpoAlarm()).StateValue).toBe('OK');
    const alertsBefore = (await rpoAlerts()).length;
    expect((await rpoAlerts()).at(-1)?.NewStateValue).toBe('OK');

    // the packs and checkpoints are in the recovery region's bucket
    const keys = await there.s3.send(new ListObjectsV2Command({ Bucket: (await site.store(VPG)).bucket, Prefix: `vpgs/${VPG}/checkpoints/` }));
    expect((keys.Contents ?? []).filter((o) => o.Key!.endsWith('.json')).length).toBeGreaterThanOrEqual(2);

    await outage('us-east-1', true);
    try {
      // the RPO probe lives with the replica: with the protected region gone it still publishes the VPG's RPO (which
      // then grows until the RPO alarm fires) and says only that it could not list the syncs there
      const probe = await runProbe();
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

      // the alarm that says so lives here too: it goes to ALARM as the RPO grows past its threshold, and alerts
      await expectRpoAlarmAsTimePasses(alertsBefore);
    } finally {
      await outage('us-east-1', false);
    }
  }, 600_000); // two syncs, probes, a CLI call, a failback across regions and 45 cloud minutes (100-250 s on a shared machine)
});
