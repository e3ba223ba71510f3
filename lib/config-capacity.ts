/**
 * How many VPGs one site can hold: what grows with the VPG count on the site stack's shared functions, checked at
 * synth so a site too large for a quota stops `cdk synth` with the fix instead of failing mid-deploy.
 * - The sweeper's per-VPG grants fill managed policies (lib/sweeper-watch.ts); a role has at most 10 of them.
 * - The sweeper and the RPO probe carry the VPG names in their environment; Lambda allows 4 KB for all of a
 *   function's environment variables together (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
 *   "Function configuration, deployment, and execution").
 * Everything else per VPG lives in the VPG's own stack and roles (lib/vpg-stack.ts), so it does not add up.
 */
import { PROBE_ENV } from '../runtime/core/step-env';
import { STEP_ENV } from '../runtime/core/step-env';
import type { ConfigProblem, SiteConfig } from './config';
import { MAX_WATCH_POLICIES, sweeperWatchGroups } from './sweeper-watch';

/** Lambda's 4 KB for a function's environment variables, names and values together. */
export const LAMBDA_ENVIRONMENT_CHARS = 4_096;
/**
 * What the sweeper's and the probe's other variables take at most: the site id, a bucket name (63), a region (14), a
 * launch template name, a state machine ARN prefix (about 70), the grace and dry run, NODE_OPTIONS, and their names.
 * test/lib/fifty-vpgs.test.ts checks the synthesized environments stay within the quota with it.
 */
export const OTHER_VARIABLES_CHARS = 1_024;

/** The variables that carry the VPG names, as lib/sweeper.ts and lib/monitoring.ts write them. */
export function vpgListVariables(vpgs: readonly string[]): Array<{ fn: string; key: string; value: string }> {
  return [
    { fn: 'sweeper', key: STEP_ENV.sweeperVpgs, value: JSON.stringify(vpgs) },
    { fn: 'RPO probe', key: PROBE_ENV.vpgs, value: vpgs.join(',') },
  ];
}

export function siteCapacityProblems(config: SiteConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = config.vpgs.map((v) => v.name);
  const split = 'split the VPGs across two sites (each with its own siteId), or shorten the VPG names';
  const groups = sweeperWatchGroups(config.siteId, names);
  if (groups.length > MAX_WATCH_POLICIES) {
    problems.push({
      path: ['vpgs'],
      text:
        `(${names.length} VPGs) needs ${groups.length} managed policies on the site sweeper's role for the VPGs' executions, each holding about ${groups[0].length} VPGs at these name lengths; ` +
        `a role takes at most ${MAX_WATCH_POLICIES} of them (IAM's 10 managed policies per role, 1 kept for CDK's own overflow), so at most ${MAX_WATCH_POLICIES * groups[0].length} VPGs here; ${split}`,
    });
  }
  const budget = LAMBDA_ENVIRONMENT_CHARS - OTHER_VARIABLES_CHARS;
  for (const v of vpgListVariables(names)) {
    const size = v.key.length + v.value.length;
    if (size > budget) {
      problems.push({
        path: ['vpgs'],
        text:
          `(${names.length} VPGs) makes the ${v.fn}'s environment variable ${v.key} ${size} characters long with its name, over the ${budget} left of Lambda's ${LAMBDA_ENVIRONMENT_CHARS} for all of a function's variables ` +
          `once its other variables have their ${OTHER_VARIABLES_CHARS}; ${split}`,
      });
    }
  }
  return problems;
}
