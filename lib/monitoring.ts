/**
 * Operability on the CDK side: the site's alert topic, the RPO probe (site stack), and each VPG's alarms (VPG
 * stack). Metrics come from the steps' EMF log lines (runtime/core/monitoring/metrics.ts) and from Step Functions itself.
 */
import { resolve } from 'node:path';
import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import { ack } from './nag-acks';
import type { Location } from './site-placement';
import { stateMachineArn, stateMachineArnPrefix } from './step-permissions';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC_DIMENSION, METRICS_NAMESPACE, type MetricName } from '../runtime/core/monitoring/metrics';
import { lambdaEnvironment, PROBE_ENV, probeEnvSchema } from '../runtime/core/step-env';
import { rpoTarget, type RpoTarget } from '../runtime/core/monitoring/metrics-rpo';
import type { SiteConfig, VpgConfig } from './config';
import { LifeboatFunction } from './lifeboat-function';
import {
  alertTopicName,
  failbackFailedAlarmName,
  journalFailedAlarmName,
  probeFunctionName,
  rpoAlarmName,
  siteResourcePrefix,
  syncFailedAlarmName,
} from '../runtime/core/resource-names';

/** The probe publishes every this often; the RPO alarm evaluates periods of the same length. */
export const RPO_PROBE_MINUTES = 5;

/** One of Lifeboat's EMF metrics of one VPG. */
export function lifeboatMetric(siteId: string, vpg: string, name: MetricName, statistic: string, period = Duration.minutes(RPO_PROBE_MINUTES)): cw.Metric {
  return new cw.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [METRIC_DIMENSION.site]: siteId, [METRIC_DIMENSION.vpg]: vpg },
    statistic,
    period,
  });
}

/** A VPG's RPO target and alarm threshold, in seconds, from the config. */
export function vpgRpoTarget(config: SiteConfig, vpg: VpgConfig): RpoTarget {
  return rpoTarget(vpg.syncIntervalMinutes, config.alerts.rpoAlarmMultiple);
}

/** ARN of a state machine of this site, by its conventional name (no reference to the VPG stack that owns it). */
export function stateMachineArnByName(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

export interface SiteAlertsProps {
  readonly siteId: string;
  readonly alerts: SiteConfig['alerts'];
}

/**
 * The topic every alarm of the site notifies. Encrypted with a customer managed key: CloudWatch alarms cannot
 * publish to a topic encrypted with the AWS managed key (alias/aws/sns), whose key policy cannot grant
 * cloudwatch.amazonaws.com the use of the key, so alerts would be silently dropped.
 */
export class SiteAlerts extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SiteAlertsProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Lifeboat site ${props.siteId}: encrypts the alert topic`,
      enableKeyRotation: true,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: alertTopicName(props.siteId),
      displayName: `Lifeboat ${props.siteId} alerts`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: allow exactly this site's alarms to publish.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'LifeboatAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${siteResourcePrefix(props.siteId)}*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alerts.email) this.topic.addSubscription(new subs.EmailSubscription(props.alerts.email));
  }
}

export interface VpgAlarmsProps {
  readonly siteId: string;
  readonly vpg: VpgConfig;
  readonly config: SiteConfig;
  /** The VPG's sync state machine, when this stack holds it (the protected side of a split site). */
  readonly stateMachine?: sfn.IStateMachine;
  /** The VPG's failback state machine: a failed failback (a drill or a real recovery) notifies the topic too. */
  readonly failbackStateMachine?: sfn.IStateMachine;
  /** A split site's journal state machine (recovery site): a failed journal run notifies the topic. */
  readonly journalStateMachine?: sfn.IStateMachine;
  /**
   * Whether this stack holds the RPO alarm: the one beside the replica and its probe (the recovery site).
   * @default true
   */
  readonly rpo?: boolean;
  readonly topic: sns.ITopic;
}

/** A VPG's alarms, each one of its kind: achieved RPO beyond the multiple of its interval, a failed sync, a failed failback. */
export class VpgAlarms extends Construct {
  readonly rpo?: cw.Alarm;
  readonly syncFailed?: cw.Alarm;
  readonly failbackFailed?: cw.Alarm;
  readonly journalFailed?: cw.Alarm;

  constructor(scope: Construct, id: string, props: VpgAlarmsProps) {
    super(scope, id);
    const { siteId, vpg } = props;
    const target = vpgRpoTarget(props.config, vpg);
    const action = new cwActions.SnsAction(props.topic);
    if (props.rpo !== false) {
      this.rpo = new cw.Alarm(this, 'Rpo', {
        alarmName: rpoAlarmName(siteId, vpg.name),
        alarmDescription:
          `Lifeboat VPG ${vpg.name}: the newest checkpoint is older than ${target.alarmSeconds} s ` +
          `(${props.config.alerts.rpoAlarmMultiple} x the ${vpg.syncIntervalMinutes}-minute sync interval), or no RPO is being published.`,
        metric: lifeboatMetric(siteId, vpg.name, 'RpoSeconds', cw.Stats.MAXIMUM),
        threshold: target.alarmSeconds,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Two probe periods: one late probe run does not page anyone, ten minutes of silence does.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        // No data means nothing publishes the RPO: no probe and no sync. That is exactly when to worry.
        treatMissingData: cw.TreatMissingData.BREACHING,
      });
      this.rpo.addAlarmAction(action);
      this.rpo.addOkAction(action);
    }
    // a failed execution alarms once, and notifies the topic (its cause is in the execution's history)
    const failedAlarm = (alarmId: string, alarmName: string, description: string, machine: sfn.IStateMachine) => {
      const alarm = new cw.Alarm(this, alarmId, {
        alarmName,
        alarmDescription: `Lifeboat VPG ${vpg.name}: ${description}`,
        metric: machine.metricFailed({ period: Duration.minutes(RPO_PROBE_MINUTES), statistic: cw.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      return alarm;
    };
    if (props.stateMachine) {
      this.syncFailed = failedAlarm(
        'SyncFailed',
        syncFailedAlarmName(siteId, vpg.name),
        "a sync execution failed (its cause is in the execution's history and the steps' logs).",
        props.stateMachine,
      );
    }
    if (props.failbackStateMachine) {
      this.failbackFailed = failedAlarm(
        'FailbackFailed',
        failbackFailedAlarmName(siteId, vpg.name),
        "a failback execution failed, so its VMs may not be recovered (the cause is in the execution's history).",
        props.failbackStateMachine,
      );
    }
    if (props.journalStateMachine) {
      this.journalFailed = failedAlarm(
        'JournalFailed',
        journalFailedAlarmName(siteId, vpg.name),
        "a journal run failed: checkpoints past the journal stay (and cost) until one succeeds; nothing kept is lost (the cause is in the execution's history).",
        props.journalStateMachine,
      );
    }
  }
}

export interface RpoProbeProps {
  readonly siteId: string;
  readonly config: SiteConfig;
  readonly bucket: s3.IBucket;
  readonly bucketRegion?: string;
  /**
   * Where the sync state machines are, when not in this stack's region (lib/site-placement.ts).
   * @default this stack's account and region
   */
  readonly syncAt?: Location;
  /**
   * Folder holding `rpo-probe-handler.ts`.
   * @default runtime/handlers of this project
   */
  readonly handlersDir?: string;
}

/** A small scheduled function publishing each VPG's RPO, so the RPO alarm works even when the sync schedule does not. */
export class RpoProbe extends Construct {
  readonly fn: LifeboatFunction;
  readonly role: iam.Role;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: RpoProbeProps) {
    super(scope, id);
    const handlersDir = props.handlersDir ?? resolve(__dirname, '..', 'runtime', 'handlers');
    // Its own role, no managed policy: it may list checkpoint keys and executions, and write its own log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifeboat RPO probe of site ${props.siteId}`,
    });
    // Listing checkpoint keys is all it reads of the store: ids carry their time.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListCheckpoints',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': 'vpgs/*/checkpoints/*' } },
      }),
    );
    const syncAt = props.syncAt ?? {};
    // the syncs of a split site run in the protected region: with it down the listing fails and the RPO is still published
    const syncsElsewhere = syncAt.region !== undefined || syncAt.account !== undefined;
    const siteMachines = [stateMachineArnByName(this, `${siteResourcePrefix(props.siteId)}*`)];
    if (syncsElsewhere) siteMachines.push(stateMachineArn(Stack.of(this), `${siteResourcePrefix(props.siteId)}*`, syncAt));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'RunningExecutions', actions: ['states:ListExecutions'], resources: siteMachines }));
    this.fn = new LifeboatFunction(this, 'Probe', {
      entry: resolve(handlersDir, 'rpo-probe-handler.ts'),
      handler: 'handler',
      functionName: probeFunctionName(props.siteId),
      description: `Lifeboat site ${props.siteId}: publishes every VPG's achieved RPO`,
      role: this.role,
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: lambdaEnvironment(probeEnvSchema, {
        [PROBE_ENV.siteId]: props.siteId,
        [PROBE_ENV.bucket]: props.bucket.bucketName,
        [PROBE_ENV.bucketRegion]: props.bucketRegion ?? Aws.REGION,
        [PROBE_ENV.vpgs]: props.config.vpgs.map((v) => v.name).join(','),
        [PROBE_ENV.stateMachineArnPrefix]: `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:`,
        [PROBE_ENV.syncArnPrefix]: syncsElsewhere ? stateMachineArnPrefix(Stack.of(this), syncAt) : undefined,
      }),
    });
    this.fn.logGroup.grantWrite(this.role);
    const fn = this.fn.fn;
    // cdk-nag (lib/nag-acks.ts): what this construct accepts, and why (its function's runtime: LifeboatFunction).
    const listReason =
      "states:ListExecutions (read-only) on this site's own state machines, named by convention; VPG stacks come and go without redeploying the probe";
    ack(this.role, [
      ...['<AWS::Region>', ...(syncAt.region ? [syncAt.region] : [])].map((region) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${region}:<AWS::AccountId>:stateMachine:${siteResourcePrefix(props.siteId)}*]`,
        reason: listReason,
      })),
    ]);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Publish the RPO of every VPG of site ${props.siteId}`,
      schedule: events.Schedule.rate(Duration.minutes(RPO_PROBE_MINUTES)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.minutes(RPO_PROBE_MINUTES) })],
    });
  }
}
