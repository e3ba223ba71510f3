/**
 * The offline CloudWatch through the real @aws-sdk/client-cloudwatch, on a hand-moved cloud clock: a function's
 * embedded metric format line becomes a metric; an assembly's alarm is evaluated every cloud minute, notifies its
 * topic once per transition (and not at all when the topic's policy refuses CloudWatch for it); the TreatMissingData
 * settings on a silent metric; SetAlarmState lasting until the next evaluation; PutMetricAlarm's and DeleteAlarms'
 * refusals; IAM; one region's alarms seeing only that region's metrics, and evaluating on while another is down;
 * metrics and alarms surviving a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { clientConfig, startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { ALARM, cloudwatchAssembly, FUNCTION, TOPIC } from './helpers/cloudwatch-assembly';
import { roleCredentials } from './helpers/iam-assembly';
import { refusal } from './helpers/refusal';

const ACCOUNT = '000000000000';
const TOPIC_ARN = `arn:aws:sns:${TEST_REGION}:${ACCOUNT}:${TOPIC}`;
const START = Date.UTC(2026, 11, 8, 12, 0, 30);
const at = (minutes: number, seconds = 0) => Date.UTC(2026, 11, 8, 12, minutes, seconds);

let t: TestCloud | undefined;
let now = START;
let cw: CloudWatchClient;
const clients: Array<{ destroy(): void }> = [];
const client = <T extends { destroy(): void }>(c: T) => (clients.push(c), c);

beforeEach(async () => {
  now = START;
  t = await startTestCloud({ assemblyDir: cloudwatchAssembly(ACCOUNT, TEST_REGION), now: () => now });
  cw = client(new CloudWatchClient(clientConfig(t.url, { maxAttempts: 1 })));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await t?.stop();
  t = undefined;
});

async function alarm(name: string, c = cw): Promise<MetricAlarm> {
  const [found] = (await c.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms ?? [];
  if (!found) throw new Error(`no alarm ${name}`);
  return found;
}

type Notification = { subject: string; message: string };
async function notifications(topicArn = TOPIC_ARN): Promise<Array<Record<string, unknown> & { subject: string }>> {
  const res = await fetch(`${t!.url}/_lifeboat/sns/messages?topicArn=${encodeURIComponent(topicArn)}`);
  return ((await res.json()) as Notification[]).map((m) => ({ subject: m.subject, ...(JSON.parse(m.message) as Record<string, unknown>) }));
}

const report = (lag: number) => t!.cloud.sfn.invokeFunction(FUNCTION, { at: now, lag });

const plain = (name: string, extra: Partial<PutMetricAlarmCommandInput> = {}): PutMetricAlarmCommandInput => ({
  AlarmName: name,
  Namespace: 'App',
  MetricName: 'Quiet',
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  ...extra,
});

it("evaluates an assembly's alarm every cloud minute on a function's EMF metric and notifies its topic once per transition", async () => {
  expect(await alarm(ALARM)).toMatchObject({ StateValue: 'INSUFFICIENT_DATA', AlarmActions: [TOPIC_ARN], OKActions: [TOPIC_ARN], DatapointsToAlarm: 2 });
  await report(5);
  // 12:00:50: no evaluation since the alarm was created at 12:00:30
  now = at(0, 50);
  expect((await alarm(ALARM)).StateValue).toBe('INSUFFICIENT_DATA');

  // 12:01: one breaching datapoint, and the missing one of the two periods treated as breaching
  now = at(1, 10);
  const first = await alarm(ALARM);
  expect(first).toMatchObject({ StateValue: 'ALARM', StateUpdatedTimestamp: new Date(at(1)) });
  expect(first.StateReason).toBe(
    'Threshold Crossed: 1 out of the last 1 datapoint [5.0 (08/12/26 12:00:00)] was greater than the threshold (3.0) and 1 missing datapoint was treated as [Breaching] (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition).',
  );
  expect(JSON.parse(first.StateReasonData!)).toMatchObject({ statistic: 'Maximum', period: 60, evaluatedDatapoints: [{ value: 5, sampleCount: 1 }] });

  await report(1);
  // 12:02: 5 then 1: one of the last two breaches, two are needed
  now = at(2, 5);
  expect((await alarm(ALARM)).StateValue).toBe('OK');
  // 12:03 to 12:05 stay OK (the range still holds the 1, or two real datapoints); nothing more is published
  now = at(5, 30);
  expect((await alarm(ALARM)).StateValue).toBe('OK');
  // 12:06: two silent periods, treated as breaching
  now = at(6, 1);
  const silent = await alarm(ALARM);
  expect([silent.StateValue, silent.StateUpdatedTimestamp]).toEqual(['ALARM', new Date(at(6))]);
  expect(silent.StateReason).toBe('Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].');

  const sent = await notifications();
  expect(sent.map((n) => [n.OldStateValue, n.NewStateValue, n.StateChangeTime])).toEqual([
    ['INSUFFICIENT_DATA', 'ALARM', '2026-12-08T12:01:00.000+0000'],
    ['ALARM', 'OK', '2026-12-08T12:02:00.000+0000'],
    ['OK', 'ALARM', '2026-12-08T12:06:00.000+0000'],
  ]);
  expect(sent[0]).toMatchObject({
    subject: `ALARM: "${ALARM}" in US East (N. Virginia)`,
    AlarmName: ALARM,
    AlarmDescription: 'svc is late',
    AWSAccountId: ACCOUNT,
    Region: 'US East (N. Virginia)',
    AlarmArn: `arn:aws:cloudwatch:${TEST_REGION}:${ACCOUNT}:alarm:${ALARM}`,
    Trigger: expect.objectContaining({
      MetricName: 'Lag',
      Namespace: 'App',
      Statistic: 'MAXIMUM',
      Dimensions: [{ value: 'svc', name: 'Service' }],
      Threshold: 3,
    }),
  });
  // the function's two lines are the metric, as GetMetricStatistics reads it
  const stats = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: 'App',
      MetricName: 'Lag',
      Dimensions: [{ Name: 'Service', Value: 'svc' }],
      StartTime: new Date(at(0)),
      EndTime: new Date(at(5)),
      Period: 60,
      Statistics: ['Maximum', 'SampleCount'],
    }),
  );
  expect(stats.Datapoints?.map((d) => [d.Timestamp, d.Maximum, d.SampleCount, d.Unit])).toEqual([
    [new Date(at(0)), 5, 1, 'Seconds'],
    [new Date(at(1)), 1, 1, 'Seconds'],
  ]);
});

it("publishes nothing for an alarm the topic's policy does not let CloudWatch publish for", async () => {
  await cw.send(new PutMetricAlarmCommand(plain('other-quiet', { TreatMissingData: 'breaching', AlarmActions: [TOPIC_ARN] })));
  // an alarm of the admitted prefix on the same silent metric, to show the topic works
  await cw.send(new PutMetricAlarmCommand(plain('svc-quiet', { TreatMissingData: 'breaching', AlarmActions: [TOPIC_ARN] })));
  now = at(1, 1);
  expect([(await alarm('other-quiet')).StateValue, (await alarm('svc-quiet')).StateValue]).toEqual(['ALARM', 'ALARM']);
  expect((await notifications()).map((n) => n.AlarmName)).toEqual(expect.arrayContaining(['svc-quiet']));
  expect((await notifications()).map((n) => n.AlarmName)).not.toContain('other-quiet');
});

it('treats a silent metric as each TreatMissingData setting says, and SetAlarmState lasts until the next evaluation', async () => {
  for (const mode of ['missing', 'ignore', 'breaching', 'notBreaching'])
    await cw.send(new PutMetricAlarmCommand(plain(`quiet-${mode}`, { TreatMissingData: mode })));
  now = at(1, 1);
  const states = async () => Promise.all(['missing', 'ignore', 'breaching', 'notBreaching'].map(async (m) => (await alarm(`quiet-${m}`)).StateValue));
  expect(await states()).toEqual(['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA', 'ALARM', 'OK']);

  await cw.send(new SetAlarmStateCommand({ AlarmName: 'quiet-ignore', StateValue: 'OK', StateReason: 'a test' }));
  await cw.send(new SetAlarmStateCommand({ AlarmName: 'quiet-missing', StateValue: 'ALARM', StateReason: 'a test' }));
  expect((await alarm('quiet-missing')).StateReason).toBe('a test');
  now = at(2, 1);
  // ignore keeps the state it was set to; missing evaluates back to INSUFFICIENT_DATA
  expect(await states()).toEqual(['INSUFFICIENT_DATA', 'OK', 'ALARM', 'OK']);
});

it('refuses what PutMetricAlarm and DeleteAlarms refuse, and deletes nothing when one name is unknown', async () => {
  const put = (extra: Partial<PutMetricAlarmCommandInput>) => refusal(cw.send(new PutMetricAlarmCommand(plain('bad', extra))));
  expect(await put({ Period: 61 })).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });
  expect(await put({ DatapointsToAlarm: 2 })).toMatchObject({ name: 'InvalidParameterValueException' });
  expect(await put({ TreatMissingData: 'sometimes' })).toMatchObject({ name: 'InvalidParameterValueException' });
  expect(await put({ Period: 3600, EvaluationPeriods: 169 })).toMatchObject({ name: 'InvalidParameterValueException' });
  expect(await put({ Statistic: undefined, ExtendedStatistic: 'p99' })).toMatchObject({ name: 'InvalidParameterCombinationException' });
  expect(await put({ Statistic: undefined })).toMatchObject({ name: 'InvalidParameterCombinationException' });
  expect(await refusal(cw.send(new DeleteAlarmsCommand({ AlarmNames: [ALARM, 'no-such-alarm'] })))).toMatchObject({ name: 'ResourceNotFound', status: 404 });
  expect((await alarm(ALARM)).AlarmName).toBe(ALARM);
  await cw.send(new DeleteAlarmsCommand({ AlarmNames: [ALARM] }));
  expect((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'svc-' }))).MetricAlarms).toEqual([]);
  expect(await refusal(cw.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'OK', StateReason: 'x' })))).toMatchObject({
    name: 'ResourceNotFound',
  });
  expect(await refusal(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/States', MetricData: [{ MetricName: 'X', Value: 1 }] })))).toMatchObject({
    name: 'InvalidParameterValueException',
  });
});

it('evaluates IAM for a deployed role: reading alarms and putting App metrics only', async () => {
  const watcher = client(new CloudWatchClient({ ...clientConfig(t!.url, { maxAttempts: 1 }), credentials: await roleCredentials(t!.url, 'Watcher') }));
  expect((await alarm(ALARM, watcher)).AlarmName).toBe(ALARM);
  await watcher.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Lag', Value: 1 }] }));
  expect(await refusal(watcher.send(new PutMetricDataCommand({ Namespace: 'Other', MetricData: [{ MetricName: 'Lag', Value: 1 }] })))).toMatchObject({
    name: 'AccessDenied',
    status: 403,
  });
  const denied = await refusal(watcher.send(new PutMetricAlarmCommand(plain('svc-mine'))));
  expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
  expect(denied.message).toContain(`cloudwatch:PutMetricAlarm on resource: arn:aws:cloudwatch:${TEST_REGION}:${ACCOUNT}:alarm:svc-mine`);
  expect((await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['svc-mine'] }))).MetricAlarms).toEqual([]);
});

it("sees only its own region's metrics, and evaluates on while another region is down", async () => {
  const EU = 'eu-west-1';
  const eu = client(new CloudWatchClient({ ...clientConfig(t!.url, { maxAttempts: 1 }), region: EU }));
  const euTopic = (await client(new SNSClient({ ...clientConfig(t!.url), region: EU })).send(new CreateTopicCommand({ Name: 'eu-alerts' }))).TopicArn!;
  // the same metric in both regions; only us-east-1's breaches
  const lag = { Namespace: 'App', MetricName: 'Lag', Statistic: 'Maximum' as const, Period: 60, EvaluationPeriods: 1, Threshold: 3 };
  await eu.send(
    new PutMetricAlarmCommand({ ...lag, AlarmName: 'eu-lag', ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [euTopic], OKActions: [euTopic] }),
  );
  await cw.send(new PutMetricAlarmCommand({ ...lag, AlarmName: 'us-lag', ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' }));
  await cw.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Lag', Value: 9 }] }));
  await eu.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Lag', Value: 1 }] }));
  now = at(1, 1);
  expect([(await alarm('us-lag')).StateValue, (await alarm('eu-lag', eu)).StateValue]).toEqual(['ALARM', 'OK']);

  const outage = (down: boolean) => fetch(`${t!.url}/_lifeboat/regions/${TEST_REGION}/outage`, { method: 'PUT', body: JSON.stringify({ down }) });
  expect((await outage(true)).status).toBe(200);
  try {
    await eu.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Lag', Value: 7 }] }));
    now = at(2, 1);
    // the timer's work, done here at once on the hand-moved clock: eu-west-1 evaluates and notifies its topic
    await t!.cloud.cloudwatch.evaluateNow();
    expect((await notifications(euTopic)).map((n) => [n.AlarmName, n.OldStateValue, n.NewStateValue])).toEqual([
      ['eu-lag', 'INSUFFICIENT_DATA', 'OK'],
      ['eu-lag', 'OK', 'ALARM'],
    ]);
    const lost = await refusal(cw.send(new DescribeAlarmsCommand({})));
    expect(lost.status).toBeUndefined(); // a dropped connection, no HTTP answer
    // by 12:04 us-east-1's metric has been silent for its whole evaluation range (not breaching: OK, were it
    // evaluated), but its alarms wait for their region
    now = at(4, 1);
    await t!.cloud.cloudwatch.evaluateNow();
    expect(t!.cloud.cloudwatch.evaluator({ account: ACCOUNT, region: TEST_REGION }).alarms.get('us-lag')?.StateValue).toBe('ALARM');
  } finally {
    expect((await outage(false)).status).toBe(200);
  }
  // back up, it evaluates from then on (12:05), not at the instants it missed (12:04)
  now = at(5, 1);
  expect(await alarm('us-lag')).toMatchObject({ StateValue: 'OK', StateUpdatedTimestamp: new Date(at(5)) });
});

it('keeps metrics, alarms and their states across a restart with a data dir', async () => {
  await t!.stop();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-cloudwatch-persist-'));
  try {
    t = await startTestCloud({ dataDir, now: () => now });
    const before = new CloudWatchClient(clientConfig(t.url, { maxAttempts: 1 }));
    await before.send(new PutMetricDataCommand({ Namespace: 'App', MetricData: [{ MetricName: 'Depth', Value: 9 }] }));
    await before.send(
      new PutMetricAlarmCommand(plain('depth', { MetricName: 'Depth', Statistic: 'Maximum', Threshold: 3, ComparisonOperator: 'GreaterThanThreshold' })),
    );
    now = at(1, 1);
    expect((await alarm('depth', before)).StateValue).toBe('ALARM');
    before.destroy();
    await t.stop();

    t = await startTestCloud({ dataDir, now: () => now });
    const after = client(new CloudWatchClient(clientConfig(t.url, { maxAttempts: 1 })));
    expect(await alarm('depth', after)).toMatchObject({ StateValue: 'ALARM', StateUpdatedTimestamp: new Date(at(1)) });
    const stats = await after.send(
      new GetMetricStatisticsCommand({
        Namespace: 'App',
        MetricName: 'Depth',
        StartTime: new Date(at(0)),
        EndTime: new Date(at(1)),
        Period: 60,
        Statistics: ['Maximum'],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Maximum)).toEqual([9]);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
