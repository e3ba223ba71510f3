/**
 * What an alarm does when its state changes: each action of the new state (AlarmActions, OKActions,
 * InsufficientDataActions), once per transition and only while ActionsEnabled
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html: "Alarms invoke actions
 * for sustained state changes only … For Amazon SNS notifications, no additional actions are invoked").
 * An SNS action publishes CloudWatch's notification JSON to the topic as the service principal
 * cloudwatch.amazonaws.com, with the alarm as aws:SourceArn: a topic with a policy must allow that
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html); the default policy
 * (no Policy attribute) admits the topic owner's account. CloudWatch does not report a failed action ("CloudWatch
 * doesn't test or validate the actions that you specify"): a missing topic, a refusal or a region that is down drops
 * the notification, and the cloud's log says so. Other action types (EC2, Auto Scaling, Lambda, SSM) are not run.
 */
import type { RegionOutages } from '../region-outage';
import type { PolicyDocument } from '../iam/registry';
import { servicePrincipalAllowed } from '../iam/service-principal';
import type { SnsService } from '../sns/index';
import type { AlarmState } from './alarm-evaluation';
import type { AlarmRecord } from './alarms';

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'ca-central-1': 'Canada (Central)',
  'eu-west-1': 'EU (Ireland)',
  'eu-west-2': 'EU (London)',
  'eu-west-3': 'EU (Paris)',
  'eu-central-1': 'EU (Frankfurt)',
  'eu-north-1': 'EU (Stockholm)',
  'ap-northeast-1': 'Asia Pacific (Tokyo)',
  'ap-southeast-1': 'Asia Pacific (Singapore)',
  'ap-southeast-2': 'Asia Pacific (Sydney)',
  'sa-east-1': 'South America (Sao Paulo)',
};

const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export interface Transition {
  alarm: AlarmRecord;
  from: AlarmState;
  account: string;
  region: string;
}

/** The notification CloudWatch publishes (its JSON shape) and its subject, which SNS holds under 100 characters. */
export function notification(t: Transition): { subject: string; message: string } {
  const a = t.alarm;
  const regionName = REGION_NAMES[t.region] ?? t.region;
  const message = {
    AlarmName: a.AlarmName,
    AlarmDescription: a.AlarmDescription ?? null,
    AWSAccountId: t.account,
    AlarmConfigurationUpdatedTimestamp: iso(a.AlarmConfigurationUpdatedTimestamp),
    NewStateValue: a.StateValue,
    NewStateReason: a.StateReason,
    StateChangeTime: iso(a.StateUpdatedTimestamp),
    Region: regionName,
    AlarmArn: a.AlarmArn,
    OldStateValue: t.from,
    OKActions: a.OKActions,
    AlarmActions: a.AlarmActions,
    InsufficientDataActions: a.InsufficientDataActions,
    Trigger: {
      MetricName: a.MetricName,
      Namespace: a.Namespace,
      StatisticType: 'Statistic',
      Statistic: a.Statistic.toUpperCase(),
      Unit: a.Unit ?? null,
      Dimensions: a.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
      Period: a.Period,
      EvaluationPeriods: a.EvaluationPeriods,
      DatapointsToAlarm: a.DatapointsToAlarm,
      ComparisonOperator: a.ComparisonOperator,
      Threshold: a.Threshold,
      TreatMissingData: a.TreatMissingData,
      EvaluateLowSampleCountPercentile: '',
    },
  };
  return { subject: `${a.StateValue}: "${a.AlarmName}" in ${regionName}`.slice(0, 99), message: JSON.stringify(message) };
}

export function actionsFor(alarm: AlarmRecord): string[] {
  if (!alarm.ActionsEnabled) return [];
  if (alarm.StateValue === 'ALARM') return alarm.AlarmActions;
  if (alarm.StateValue === 'OK') return alarm.OKActions;
  return alarm.InsufficientDataActions;
}

const SNS_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]+)$/;

export async function runActions(t: Transition, deps: { sns: SnsService; outages?: RegionOutages; log: (m: string) => void }): Promise<void> {
  const { subject, message } = notification(t);
  for (const action of actionsFor(t.alarm)) {
    const m = SNS_ARN.exec(action);
    const drop = (why: string) => deps.log(`cloudwatch: alarm ${t.alarm.AlarmName} did not notify ${action}: ${why}`);
    if (!m) {
      drop('only SNS actions are run by the offline cloud');
      continue;
    }
    const [, region, account] = m;
    if (deps.outages?.isDown(region)) {
      drop(`${region} is down`);
      continue;
    }
    const topics = deps.sns.topics({ account, region });
    const topic = topics.state.topics[action];
    if (!topic) {
      drop('no such topic');
      continue;
    }
    const policy = topic.attributes.Policy;
    const allowed =
      policy === undefined
        ? account === t.account
        : await servicePrincipalAllowed(
            {
              service: 'cloudwatch.amazonaws.com',
              action: 'sns:Publish',
              resource: action,
              resourceAccount: account,
              sourceArn: t.alarm.AlarmArn,
              sourceAccount: t.account,
              region,
            },
            JSON.parse(policy) as PolicyDocument,
          );
    if (!allowed) {
      drop("the topic's policy does not allow cloudwatch.amazonaws.com to publish for this alarm");
      continue;
    }
    topics.publish(action, message, subject);
  }
}
