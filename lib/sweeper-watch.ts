import { failbackStateMachineName, syncStateMachineName } from '../runtime/core/resource-names';
/**
 * How the site sweeper's per-VPG grants are laid out so that none of its policies grows past an IAM quota with the
 * number of VPGs. Pure (no CDK): lib/sweeper.ts builds the managed policies from it and the config (lib/config-names.ts)
 * refuses a site that would need more of them than a role may have.
 *
 * The sweeper asks, for each VPG, which of its sync and failback executions run (states:ListExecutions on the two state
 * machines) and whether one has ended (states:DescribeExecution on their executions): four ARNs a VPG, named exactly.
 * Those grants live in customer managed policies of their own (each at most 6,144 characters, IAM not counting white
 * space), filled greedily in the config's VPG order, so the role's inline policy (10,240 characters for all of a
 * role's inline policies together) stays the size of its site-wide statements whatever the VPG count.
 * Quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */

/** A customer managed policy's document, white space not counted. */
export const MANAGED_POLICY_CHARS = 6_144;
/** Managed policies attached to one role (the default quota; 20 on request). */
export const MANAGED_POLICIES_PER_ROLE = 10;
/**
 * Watch policies the sweeper's role may carry: the quota less one, which stays free for the policy CDK itself moves
 * statements into should the role's inline policy grow past its estimate (aws-iam's policy splitting).
 */
export const MAX_WATCH_POLICIES = MANAGED_POLICIES_PER_ROLE - 1;

/**
 * The longest partition, region and account an ARN of the policy can resolve to: "aws-us-gov", 14-character regions
 * (ap-southeast-2 and kin), 12-digit accounts. Sizes are computed with them, so a policy that fits here fits anywhere.
 */
const WORST = { partition: 'aws-us-gov', region: 'x'.repeat(14), account: '0'.repeat(12) };

/** The state machines of one VPG (what it runs) and their executions (what the sweeper describes), as ARN suffixes. */
export function watchedMachineNames(siteId: string, vpg: string): string[] {
  return [syncStateMachineName(siteId, vpg), failbackStateMachineName(siteId, vpg)];
}

const arn = (resource: string) => `arn:${WORST.partition}:states:${WORST.region}:${WORST.account}:${resource}`;

/** The statements of one watch policy as IAM stores them, with the longest ARNs; the Sids are those lib/sweeper.ts uses. */
export function watchPolicyDocument(siteId: string, vpgs: readonly string[]) {
  const machines = vpgs.flatMap((v) => watchedMachineNames(siteId, v));
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ListRunningExecutions', Effect: 'Allow', Action: 'states:ListExecutions', Resource: machines.map((m) => arn(`stateMachine:${m}`)) },
      { Sid: 'ExecutionState', Effect: 'Allow', Action: 'states:DescribeExecution', Resource: machines.map((m) => arn(`execution:${m}:*`)) },
    ],
  };
}

/** Characters IAM counts against a policy quota: the JSON without white space. */
export function iamPolicyChars(doc: unknown): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}

/** The site's VPGs in groups, in config order, each group's watch policy within MANAGED_POLICY_CHARS at the longest ARNs. */
export function sweeperWatchGroups(siteId: string, vpgs: readonly string[]): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  for (const vpg of vpgs) {
    const next = [...current, vpg];
    if (current.length > 0 && iamPolicyChars(watchPolicyDocument(siteId, next)) > MANAGED_POLICY_CHARS) {
      groups.push(current);
      current = [vpg];
    } else current = next;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
