/**
 * Template tests of operability: the site's alert topic (encrypted, TLS only, email from config), the RPO probe,
 * each VPG's alarms (threshold = multiple x interval, missing data breaching, actions to the topic) and the dashboard.
 */
import fs from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SiteAlerts, VpgAlarms } from '../../lib/monitoring';
import { parseConfig } from '../../lib/config';
import { addLifeboat } from '../../lib/lifeboat-app';
import { FULL_CONFIG, MINIMAL_CONFIG, SITE } from './synth-fixture';
import { actionsOf, flatten, policyStatements, STUB_SOURCES } from './template-helpers';
import {
  alertTopicName,
  dashboardName,
  failbackFailedAlarmName,
  failbackStateMachineName,
  probeFunctionName,
  rpoAlarmName,
  syncFailedAlarmName,
  syncStateMachineName,
} from '../../runtime/core/resource-names';

/** A stub for every handler runtime/handlers has (so steps other engineers add do not break this file's synth). */
function stubHandlersDir(): string {
  // NodejsFunction wants entries under the project root; node_modules/.cache is, and git ignores it.
  const cache = path.resolve(__dirname, '../../node_modules/.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'lifeboat-stubs-'));
  const stub = fs.readFileSync(path.join(STUB_SOURCES.handlersDir, 'begin-handler.ts'), 'utf8');
  for (const f of fs.readdirSync(path.resolve(__dirname, '../../runtime/handlers'))) if (f.endsWith('-handler.ts')) fs.writeFileSync(path.join(dir, f), stub);
  return dir;
}

function synthesize(json: unknown, handlersDir: string): { site: Template; vpgs: Template[] } {
  const stacks = addLifeboat(new App(), parseConfig(json, 'test'), { handlersDir, agentEntry: STUB_SOURCES.agentEntry });
  return { site: Template.fromStack(stacks.site), vpgs: stacks.vpgs.map((s) => Template.fromStack(s)) };
}

const CONFIG = { ...FULL_CONFIG, alerts: { email: 'dr-team@example.com', rpoAlarmMultiple: 3 } };
let site: Template;
let vpgs: readonly Template[];
let stubs: string;

beforeAll(() => {
  stubs = stubHandlersDir();
  ({ site, vpgs } = synthesize(CONFIG, stubs));
});
afterAll(() => fs.rmSync(stubs, { recursive: true, force: true }));

const onlyResource = (t: Template, type: string): Record<string, any> & { id: string } => {
  const all = Object.entries(t.findResources(type));
  expect(all).toHaveLength(1);
  return { id: all[0][0], ...all[0][1] };
};

describe('alert topic', () => {
  it('is encrypted with a rotated customer managed key CloudWatch may use, and refuses plain HTTP', () => {
    const topic = onlyResource(site, 'AWS::SNS::Topic');
    expect(topic.Properties.TopicName).toBe(alertTopicName(SITE));
    const key = site.findResources('AWS::KMS::Key');
    const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(key[keyId].Properties.EnableKeyRotation).toBe(true);
    expect(key[keyId].Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
    );
    const policy = onlyResource(site, 'AWS::SNS::TopicPolicy');
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const publish = statements.find((s) => s.Sid === 'LifeboatAlarmsPublish')!;
    expect(publish).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' });
    expect(flatten(publish.Condition.ArnLike['aws:SourceArn'])).toMatch(new RegExp(`:alarm:lifeboat-${SITE}-\\*$`));
  });

  it('subscribes the configured email, and nothing without one', () => {
    site.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'dr-team@example.com' });
    // Without an email: the topic alone (a bare stack, so no second synth of the whole app).
    const bare = new Stack(new App(), 'Bare');
    new SiteAlerts(bare, 'Alerts', { siteId: 'site-m', alerts: parseConfig(MINIMAL_CONFIG, 'test').alerts });
    const t = Template.fromStack(bare);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('VPG alarms', () => {
  const topicImport = () => {
    const topicId = onlyResource(site, 'AWS::SNS::Topic').id;
    const outputs = site.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name: string } }>;
    const exported = Object.values(outputs).find((o) => o.Export && JSON.stringify(o.Value) === JSON.stringify({ Ref: topicId }));
    expect(exported).toBeDefined();
    return { 'Fn::ImportValue': exported!.Export!.Name };
  };

  it.each([
    [0, 'web', 10],
    [1, 'db', 60],
  ])('%s: RPO beyond multiple x interval (or no data) alarms to the topic', (i, vpg, minutes) => {
    const alarms = vpgs[i].findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: rpoAlarmName(SITE, vpg) } });
    const [rpo] = Object.values(alarms);
    expect(rpo.Properties).toMatchObject({
      Namespace: 'Lifeboat',
      MetricName: 'RpoSeconds',
      Dimensions: expect.arrayContaining([
        { Name: 'Site', Value: SITE },
        { Name: 'Vpg', Value: vpg },
      ]),
      Statistic: 'Maximum',
      Threshold: 3 * minutes * 60,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topicImport()],
      OKActions: [topicImport()],
    });
    expect(rpo.Properties.Dimensions).toHaveLength(2);
  });

  it('a failed failback execution alarms to the topic, and each state machine has one failed-execution alarm', () => {
    for (const [i, vpg] of [
      [0, 'web'],
      [1, 'db'],
    ] as const) {
      const idOf = (name: string) => Object.keys(vpgs[i].findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: name } }))[0];
      const failback = idOf(failbackStateMachineName(SITE, vpg));
      vpgs[i].hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: failbackFailedAlarmName(SITE, vpg),
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: failback } }],
        Threshold: 1,
        AlarmActions: [topicImport()],
      });
      const onFailures = Object.values(vpgs[i].findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ExecutionsFailed' } }));
      const machines = onFailures.map((a) => (a.Properties.Dimensions as Array<{ Value: { Ref: string } }>)[0].Value.Ref).sort();
      expect(machines).toEqual([idOf(syncStateMachineName(SITE, vpg)), failback].sort());
      for (const alarm of onFailures) expect(alarm.Properties.AlarmActions).toEqual([topicImport()]);
    }
  });

  it('a failed sync execution alarms to the topic', () => {
    for (const [i, vpg] of [
      [0, 'web'],
      [1, 'db'],
    ] as const) {
      const machineId = Object.keys(
        vpgs[i].findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: syncStateMachineName(SITE, vpg) } }),
      )[0];
      vpgs[i].hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: syncFailedAlarmName(SITE, vpg),
        Namespace: 'AWS/States',
        MetricName: 'ExecutionsFailed',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicImport()],
      });
    }
  });

  it('the default multiple is 2', () => {
    const config = parseConfig(MINIMAL_CONFIG, 'test');
    expect(config.alerts).toEqual({ rpoAlarmMultiple: 2 });
    const bare = new Stack(new App(), 'Bare');
    const topic = new SiteAlerts(bare, 'Alerts', { siteId: 'site-m', alerts: config.alerts }).topic;
    const machine = sfn.StateMachine.fromStateMachineName(bare, 'Machine', syncStateMachineName('site-m', 'web'));
    const failback = sfn.StateMachine.fromStateMachineName(bare, 'Failback', failbackStateMachineName('site-m', 'web'));
    new VpgAlarms(bare, 'Alarms', { siteId: 'site-m', vpg: config.vpgs[0], config, stateMachine: machine, failbackStateMachine: failback, topic });
    Template.fromStack(bare).hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: rpoAlarmName('site-m', 'web'), Threshold: 2 * 15 * 60 });
  });

  it('the config refuses a multiple outside 1-10 and a malformed email', () => {
    expect(() => parseConfig({ ...MINIMAL_CONFIG, alerts: { rpoAlarmMultiple: 0.5 } }, 'cfg')).toThrow(
      /cfg: alerts\.rpoAlarmMultiple: is wrong; it must be at least 1/,
    );
    expect(() => parseConfig({ ...MINIMAL_CONFIG, alerts: { email: 'nobody' } }, 'cfg')).toThrow(/cfg: alerts\.email: is wrong; it must be an email address/);
  });
});

describe('RPO probe', () => {
  it('runs every 5 minutes, knows every VPG, and may only list checkpoints and executions', () => {
    const fns = site.findResources('AWS::Lambda::Function', { Properties: { FunctionName: probeFunctionName(SITE) } });
    const [fnId, fn] = Object.entries(fns)[0];
    expect(fn.Properties.Environment.Variables).toMatchObject({ LIFEBOAT_SITE_ID: SITE, LIFEBOAT_PROBE_VPGS: 'web,db' });
    expect(flatten(fn.Properties.Environment.Variables.LIFEBOAT_STATE_MACHINE_ARN_PREFIX)).toMatch(
      /^arn:\{Ref:AWS::Partition\}:states:\{Ref:AWS::Region\}:\{Ref:AWS::AccountId\}:stateMachine:$/,
    );
    site.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })]),
    });
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const own = policyStatements(site).filter((s) => JSON.stringify(site.toJSON().Resources[s.policy].Properties.Roles).includes(roleId));
    const actions = own.flatMap(actionsOf).filter((a) => !a.startsWith('logs:'));
    expect(actions.sort()).toEqual(['s3:ListBucket', 'states:ListExecutions']);
    expect(own.find((s) => actionsOf(s).includes('s3:ListBucket'))!.Condition).toEqual({ StringLike: { 's3:prefix': 'vpgs/*/checkpoints/*' } });
    expect(flatten(own.find((s) => actionsOf(s).includes('states:ListExecutions'))!.Resource)).toMatch(new RegExp(`:stateMachine:lifeboat-${SITE}-\\*$`));
  });
});

describe('dashboard', () => {
  it('shows every VPG: RPO with its target and alarm lines, durations, bytes, failures, running executions', () => {
    const dashboard = onlyResource(site, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toBe(dashboardName(SITE));
    const body = JSON.parse(flatten(dashboard.Properties.DashboardBody)) as { widgets: Array<{ type: string; properties: Record<string, any> }> };
    const graphs = body.widgets.filter((w) => w.type === 'metric').map((w) => w.properties);
    const metricsOf = (title: RegExp) => graphs.filter((g) => title.test(g.title)).flatMap((g) => g.metrics as unknown[][]);
    for (const [vpg, minutes] of [
      ['web', 10],
      ['db', 60],
    ] as const) {
      const rpo = graphs.find((g) => g.title.includes(`RPO: ${vpg}`))!;
      expect(rpo.metrics).toEqual([['Lifeboat', 'RpoSeconds', 'Site', SITE, 'Vpg', vpg, expect.objectContaining({ stat: 'Maximum' })]]);
      expect(rpo.annotations.horizontal.map((a: { value: number }) => a.value)).toEqual([minutes * 60, 3 * minutes * 60]);
      const uses = (title: RegExp, metric: string) =>
        expect(metricsOf(title)).toContainEqual(expect.arrayContaining(['Lifeboat', metric, 'Site', SITE, 'Vpg', vpg]));
      uses(/duration/, 'SyncDurationSeconds');
      uses(/Bytes/, 'BytesRead');
      uses(/Bytes/, 'BytesStored');
      uses(/Blocks/, 'BlocksChanged');
      uses(/Failures/, 'SyncFailures');
      uses(/Running/, 'RunningSyncs');
      uses(/Running/, 'RunningFailbacks');
      expect(metricsOf(/Failures/).map((m) => m.join(' '))).toContainEqual(expect.stringContaining(`ExecutionsFailed StateMachineArn arn:`));
    }
    const alarmWidget = body.widgets.find((w) => w.type === 'alarm')!;
    // each VPG's three alarms: RPO, sync failed, failback failed
    expect((alarmWidget.properties.alarms as string[]).map((arn) => arn.split(':alarm:')[1])).toEqual(
      ['web', 'db'].flatMap((v) => [rpoAlarmName(SITE, v), syncFailedAlarmName(SITE, v), failbackFailedAlarmName(SITE, v)]),
    );
  });
});
