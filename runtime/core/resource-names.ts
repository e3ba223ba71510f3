/**
 * Every name Lifeboat gives an AWS resource, built here once: the stacks (lib/), the steps (state machines they
 * start or watch), the CLI (what it looks up) and the config check (lib/config-names.ts: each name within its
 * service's limit) all call these, so a name cannot differ between the side that creates a resource and the side
 * that finds it. Site ids and VPG names follow names.ts. `lifeboat-<site>-…` names are this site's (IAM conditions
 * and the sweeper's patterns rely on the prefix); stacks are `Lifeboat-<site>[-<vpg>]`.
 */
import { createHash } from 'node:crypto';

/** Lambda function names are at most 64 characters (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html). */
export const MAX_FUNCTION_NAME = 64;

/** Every resource named for the site starts with this (IAM resource patterns: `${siteResourcePrefix(site)}*`). */
export function siteResourcePrefix(siteId: string): string {
  return `lifeboat-${siteId}-`;
}

export function siteStackName(siteId: string): string {
  return `Lifeboat-${siteId}`;
}
export function vpgStackName(siteId: string, vpg: string): string {
  return `Lifeboat-${siteId}-${vpg}`;
}
/**
 * A split site's (lib/site-placement.ts) other stacks: the protected side's shared stack and each VPG's recovery-site
 * stack. The capitalised suffix cannot be a VPG name ([a-z0-9-]), so no name is two stacks' even in one region.
 */
export function protectedSiteStackName(siteId: string): string {
  return `Lifeboat-${siteId}-Protected`;
}
export function vpgRecoveryStackName(siteId: string, vpg: string): string {
  return `Lifeboat-${siteId}-${vpg}-Recovery`;
}

/** The CLI, the sweeper and the RPO probe find a VPG's state machines by these names. */
export function syncStateMachineName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-sync`;
}
export function failbackStateMachineName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-failback`;
}
/** A split site's journal compaction (lib/journal-state-machine.ts), in the recovery site beside the failback. */
export function journalStateMachineName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-journal`;
}
/** Under /aws/vendedlogs/: Step Functions' log delivery would otherwise grow a resource policy per log group (lib/vpg-state-machine.ts). */
export function stateMachineLogGroupName(stateMachineName: string): string {
  return `/aws/vendedlogs/states/${stateMachineName}`;
}

/**
 * A VPG step function's name: `lifeboat-<siteId>-<vpg>-<step>` when it fits Lambda's 64 characters, else
 * `lifeboat-<10 hex of sha256("<siteId>/<vpg>")>-<step>` (deterministic, so the CLI and the chaos suite find it).
 */
export function vpgStepFunctionName(siteId: string, vpg: string, step: string): string {
  const readable = `lifeboat-${siteId}-${vpg}-${step}`;
  if (readable.length <= MAX_FUNCTION_NAME) return readable;
  const short = createHash('sha256').update(`${siteId}/${vpg}`).digest('hex').slice(0, 10);
  return `lifeboat-${short}-${step}`;
}
export function sweeperFunctionName(siteId: string): string {
  return `lifeboat-${siteId}-sweeper`;
}
export function probeFunctionName(siteId: string): string {
  return `lifeboat-${siteId}-rpo-probe`;
}
export function defaultVpcFunctionName(siteId: string): string {
  return `lifeboat-${siteId}-default-vpc`;
}

/** The worker templates the steps launch from (STEP_ENV) and the CLI shows. */
export function workerLaunchTemplateName(siteId: string, role: 'zsat' | 'zimporter'): string {
  return `lifeboat-${siteId}-${role}`;
}

/**
 * The IAM path of a VPG's protected-side roles (its zSAT agent role, its sync and cleanup step roles):
 * `/lifeboat-<site>/protected/<vpg>/`. The replica bucket's policy denies every role under
 * `/lifeboat-<site>/protected/` what the protected side must never do (lib/replica-bucket-guard.ts); a role's path is
 * part of its ARN and cannot be changed after the role is created (UpdateRole takes none), so the path is what the
 * bucket can recognise, in any account
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names).
 */
export function protectedRolePath(siteId: string, vpg: string): string {
  return `${protectedRolePathPrefix(siteId)}${vpg}/`;
}
/** The path every protected-side role of the site is under. */
export function protectedRolePathPrefix(siteId: string): string {
  return `/lifeboat-${siteId}/protected/`;
}
/** `arn:<partition>:iam::*:role/lifeboat-<site>/protected/*`: any protected-side role of the site, in any account (ArnLike). */
export function protectedRoleArnPattern(partition: string, siteId: string): string {
  return `arn:${partition}:iam::*:role${protectedRolePathPrefix(siteId)}*`;
}

/** The default replica bucket (store.bucketName overrides it); account and region may be CDK tokens. */
export function defaultReplicaBucketName(siteId: string, account: string, region: string): string {
  return `lifeboat-${siteId}-${account}-${region}`;
}

export function alertTopicName(siteId: string): string {
  return `lifeboat-${siteId}-alerts`;
}
export function rpoAlarmName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-rpo`;
}
export function syncFailedAlarmName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-sync-failed`;
}
/** A split site's failed journal runs: the journal then grows past journalHours until one succeeds. */
export function journalFailedAlarmName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-journal-failed`;
}
export function failbackFailedAlarmName(siteId: string, vpg: string): string {
  return `lifeboat-${siteId}-${vpg}-failback-failed`;
}
export function dashboardName(siteId: string): string {
  return `lifeboat-${siteId}`;
}
