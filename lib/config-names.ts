/**
 * The names a site id and its VPG names become, with AWS's length limit on each, so the config refuses at synth
 * what CloudFormation would refuse mid-deploy: a name over its limit, or two VPGs of the site that derive the same
 * name (VPG "web-failback"'s step "cleanup-failed" and VPG "web"'s step "failback-cleanup-failed" are one Lambda function name).
 *
 * The names come from runtime/core/resource-names.ts, the module every stack, step and the CLI build them with.
 */
import { FAILBACK_STEPS } from '../runtime/core/failback/contract';
import { SYNC_STEPS } from '../runtime/core/sync/contract';
import { JOURNAL_STEPS } from '../runtime/core/journal/contract';
import type { ConfigProblem, SiteConfig } from './config';
import {
  alertTopicName,
  dashboardName,
  defaultReplicaBucketName,
  failbackFailedAlarmName,
  failbackStateMachineName,
  journalFailedAlarmName,
  journalStateMachineName,
  probeFunctionName,
  rpoAlarmName,
  siteStackName,
  stateMachineLogGroupName,
  sweeperFunctionName,
  syncFailedAlarmName,
  syncStateMachineName,
  vpgStackName,
  vpgStepFunctionName,
  workerLaunchTemplateName,
} from '../runtime/core/resource-names';

/** A derived name, where AWS limits it, and the namespace in which it must be unique (one account and region). */
export interface DerivedName {
  readonly what: string;
  readonly name: string;
  /** How the name reads in an error line (the bucket's account and region are only known at deploy). */
  readonly shown: string;
  readonly limit: number;
  /** Which API reference sets the limit, as a person would look it up. */
  readonly source: string;
  readonly namespace: string;
}

// The limits, each from the API reference that enforces it:
// https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html (name: 1-80)
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html (StackName: at most 128)
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (3-63)
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html (AlarmName: 1-255)
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html (DashboardName: at most 255)
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (a function name alone: at most 64)
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html (LaunchTemplateName: 3-128)
// https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (Name: at most 256)
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html (logGroupName: 1-512)
const STATE_MACHINE = { limit: 80, source: 'Step Functions CreateStateMachine', namespace: 'state machine' };
const STACK = { limit: 128, source: 'CloudFormation CreateStack', namespace: 'stack' };
const BUCKET = { limit: 63, source: 'S3 bucket naming rules', namespace: 'bucket' };
const ALARM = { limit: 255, source: 'CloudWatch PutMetricAlarm', namespace: 'alarm' };
const DASHBOARD = { limit: 255, source: 'CloudWatch PutDashboard', namespace: 'dashboard' };
const FUNCTION = { limit: 64, source: 'Lambda CreateFunction', namespace: 'Lambda function' };
const LAUNCH_TEMPLATE = { limit: 128, source: 'EC2 CreateLaunchTemplate', namespace: 'launch template' };
const TOPIC = { limit: 256, source: 'SNS CreateTopic', namespace: 'SNS topic' };
const LOG_GROUP = { limit: 512, source: 'CloudWatch Logs CreateLogGroup', namespace: 'log group' };

/** The longest account id and region name (ap-southeast-2 and kin), as lib/replica-bucket.ts assumes. */
const ACCOUNT_LENGTH = 12;
const MAX_REGION_LENGTH = 14;

const named = (what: string, name: string, kind: Omit<DerivedName, 'what' | 'name' | 'shown'>): DerivedName => ({ what, name, shown: `"${name}"`, ...kind });

/** What the site stack names after the site id alone. */
export function siteNames(siteId: string, hasOwnBucket: boolean): DerivedName[] {
  const names = [
    named('site stack', siteStackName(siteId), STACK),
    named('sweeper function', sweeperFunctionName(siteId), FUNCTION),
    named('RPO probe function', probeFunctionName(siteId), FUNCTION),
    named('zSAT launch template', workerLaunchTemplateName(siteId, 'zsat'), LAUNCH_TEMPLATE),
    named('ZImporter launch template', workerLaunchTemplateName(siteId, 'zimporter'), LAUNCH_TEMPLATE),
    named('alert topic', alertTopicName(siteId), TOPIC),
    named('dashboard', dashboardName(siteId), DASHBOARD),
  ];
  if (!hasOwnBucket) {
    const longest = defaultReplicaBucketName(siteId, '0'.repeat(ACCOUNT_LENGTH), 'x'.repeat(MAX_REGION_LENGTH));
    names.push({ what: 'default replica bucket name', name: longest, shown: defaultReplicaBucketName(siteId, '<account>', '<region>'), ...BUCKET });
  }
  return names;
}

/** What one VPG's stacks name after the site id and the VPG name; `split`: a recovery site elsewhere, with its journal state machine. */
export function vpgNames(siteId: string, vpg: string, split = false): DerivedName[] {
  const journal = split
    ? [
        named('journal state machine', journalStateMachineName(siteId, vpg), STATE_MACHINE),
        named('journal state machine log group', stateMachineLogGroupName(journalStateMachineName(siteId, vpg)), LOG_GROUP),
        named('journal-failed alarm', journalFailedAlarmName(siteId, vpg), ALARM),
        ...JOURNAL_STEPS.map((step) => named(`"${step}" step function`, vpgStepFunctionName(siteId, vpg, step), FUNCTION)),
      ]
    : [];
  return [
    named('VPG stack', vpgStackName(siteId, vpg), STACK),
    named('sync state machine', syncStateMachineName(siteId, vpg), STATE_MACHINE),
    named('failback state machine', failbackStateMachineName(siteId, vpg), STATE_MACHINE),
    named('sync state machine log group', stateMachineLogGroupName(syncStateMachineName(siteId, vpg)), LOG_GROUP),
    named('failback state machine log group', stateMachineLogGroupName(failbackStateMachineName(siteId, vpg)), LOG_GROUP),
    named('RPO alarm', rpoAlarmName(siteId, vpg), ALARM),
    named('sync-failed alarm', syncFailedAlarmName(siteId, vpg), ALARM),
    named('failback-failed alarm', failbackFailedAlarmName(siteId, vpg), ALARM),
    ...[...SYNC_STEPS, ...FAILBACK_STEPS].map((step) => named(`"${step}" step function`, vpgStepFunctionName(siteId, vpg, step), FUNCTION)),
    ...journal,
  ];
}

function tooLong(n: DerivedName): string {
  return `makes the ${n.what} ${n.shown} ${n.name.length} characters long, over the limit of ${n.limit} (${n.source})`;
}

/** Every derived name within its limit, and no two VPGs deriving the same name. */
export function derivedNameProblems(config: SiteConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { siteId } = config;
  // Which VPG (by index; -1 for the site stack) derives each name, per namespace.
  const owners = new Map<string, number>();
  const keyOf = (n: DerivedName) => `${n.namespace}\u0000${n.name}`;
  for (const n of siteNames(siteId, config.store.bucketName !== undefined)) {
    owners.set(keyOf(n), -1);
    if (n.name.length <= n.limit) continue;
    const most = siteId.length - (n.name.length - n.limit);
    const fix =
      n.namespace === 'bucket'
        ? `use a site id of at most ${most} characters, or name an existing bucket in store.bucketName`
        : `use a site id of at most ${most} characters`;
    problems.push({ path: ['siteId'], text: `${tooLong(n)}; ${fix}` });
  }

  config.vpgs.forEach((vpg, i) => {
    const reported = new Set<string>();
    const names = vpgNames(siteId, vpg.name, config.recoverySite !== undefined);
    // The name furthest over its limit sets how long the VPG name may be: one line, with that length.
    const worst = names.reduce<DerivedName | undefined>((w, n) => (n.name.length - n.limit > (w ? w.name.length - w.limit : 0) ? n : w), undefined);
    if (worst) {
      const most = vpg.name.length - (worst.name.length - worst.limit);
      problems.push({
        path: ['vpgs', i, 'name'],
        text: `"${vpg.name}" (${vpg.name.length} characters) with site id "${siteId}" ${tooLong(worst)}; shorten the VPG name to at most ${most} characters, or shorten the site id`,
      });
    }
    for (const n of names) {
      const other = owners.get(keyOf(n));
      if (other === undefined) owners.set(keyOf(n), i);
      // Equal VPG names are reported as duplicates already; one line per pair.
      else if ((other < 0 || config.vpgs[other].name !== vpg.name) && !reported.has(`same:${other}`)) {
        reported.add(`same:${other}`);
        const whose = other < 0 ? 'the site stack' : `VPG "${config.vpgs[other].name}" (vpgs[${other}])`;
        problems.push({
          path: ['vpgs', i, 'name'],
          text: `"${vpg.name}" gives the ${n.what} the ${n.namespace} name "${n.name}", which ${whose} gets too; ${n.namespace} names are unique in an account and region, so rename ${other < 0 ? 'the VPG' : 'one of the two VPGs'}`,
        });
      }
    }
  });
  return problems;
}
