/**
 * A vCPU quota too small for a VPG's zSATs, end to end on the offline cloud: the preflight reads the quota through
 * Service Quotas, sizes the zSATs with DescribeInstanceTypes and fails naming the quota code and the fix; a sync
 * started anyway fails with a cause naming the quota, leaves nothing behind, and raises the VPG's sync-failed alarm.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { clientConfig } from '@lifeboat/offline-cloud/src/testing';
import { alertTopicName, syncFailedAlarmName } from '../../runtime/core/resource-names';
import { pastNextEvaluation } from '../helpers/cloud-time';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { createProtectedInstance, seededBytes, writeVolume } from '../../bin/demo/workload';
import { leftovers, ownedResources } from '../../bin/demo/inventory';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { checksOf, doctorOf } from '../helpers/doctor';

const SITE = 'quota';
const VPG = 'app';

let site: TestSite;
beforeAll(async () => {
  // one vCPU: room for the protected t2.micro, none for a c6i.large zSAT
  site = await deployTestSite(
    { siteId: SITE, vpgs: [{ name: VPG, instances: { tags: { app: 'quota-app' } }, syncIntervalMinutes: 60, journalHours: 24 }], pollSeconds: 5 },
    { vcpuQuota: 1 },
  );
}, 180_000);
afterAll(async () => site?.stop());

it('fails the preflight naming the quota and the fix, and a sync started anyway fails naming the quota and leaves nothing behind', async () => {
  const app = await createProtectedInstance(site.ec2, { tags: { app: 'quota-app' }, volumeSizesGiB: [1], instanceType: 't2.micro' });
  await writeVolume(site.url, app.volumes[0].volumeId, 0, seededBytes('quota', 4 * BLOCK_SIZE));

  const preflight = await doctorOf(site);
  expect(preflight.ok).toBe(false);
  expect(checksOf(preflight, 'problem')).toEqual([
    {
      vpg: VPG,
      check: 'vcpu-quota',
      status: 'problem',
      detail:
        "one zSAT of c6i.large needs 2 vCPUs, over the account's quota of 1 vCPUs of Running On-Demand Standard instances (L-1216C47A): no zSAT can launch",
      fix: 'request L-1216C47A of at least 3 in Service Quotas, or list a smaller type first in agent.instanceTypes',
    },
  ]);

  const before = await ownedResources(site.ec2, SITE);
  const exec = await waitForExecution(site.sfn, await startExecution(site.sfn, site.syncArn(VPG), {}, 'quota'), { label: 'quota', pollMs: 500 });
  expect(exec.status).toBe('FAILED');
  // Plan reads the quota and fails before a volume or an instance exists (runtime/core/sync/vcpu-quota.ts)
  expect(exec.cause).toMatch(
    /VcpuLimitExceeded: one zSAT of c6i\.large needs 2 vCPUs, more than the account's quota of 1 vCPUs .*Ask for a higher quota \(Service Quotas, EC2 quota L-1216C47A\)/,
  );
  const after = await ownedResources(site.ec2, SITE);
  expect(leftovers(after, new Set())).toEqual(leftovers(before, new Set()));

  // Step Functions counts the failed execution (AWS/States ExecutionsFailed): at CloudWatch's next evaluation the VPG's
  // sync-failed alarm is in ALARM and has alerted the site's topic, once
  await pastNextEvaluation(site.cloud.ctx.clock);
  const cw = new CloudWatchClient(clientConfig(site.url));
  const alarms = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [syncFailedAlarmName(SITE, VPG)] }))).MetricAlarms ?? [];
  cw.destroy();
  expect(alarms.map((a) => a.StateValue)).toEqual(['ALARM']);
  expect(alarms[0].StateReason).toMatch(
    /^Threshold Crossed: 1 out of the last 1 datapoint \[1\.0 \(.+\)\] was greater than or equal to the threshold \(1\.0\)/,
  );
  const topicArn = `arn:aws:sns:${site.cloud.ctx.region}:${site.cloud.ctx.accountId}:${alertTopicName(SITE)}`;
  const published = (await (await fetch(`${site.url}/_lifeboat/sns/messages?topicArn=${encodeURIComponent(topicArn)}`)).json()) as Array<{ message: string }>;
  const alerts = published.map((m) => JSON.parse(m.message) as { AlarmName: string; NewStateValue: string });
  expect(alerts.filter((a) => a.AlarmName === syncFailedAlarmName(SITE, VPG)).map((a) => a.NewStateValue)).toEqual(['ALARM']);
}, 300_000);
