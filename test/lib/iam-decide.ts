/**
 * IAM's decision on one request by a synthesized role (@cloud-copilot/iam-simulate over the role's policies from the
 * template, tokens resolved to a fixed account, region and bucket: test/lib/iam-resolve.ts).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT, PARTITION, roleArn, rolePolicies, type PolicyDoc } from './iam-resolve';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';
export type Context = Record<string, string | string[]>;

/**
 * IAM's decision on one request by the role whose logical id starts with `rolePrefix`; `resourcePolicy` is the
 * resource's own policy (a KMS key's key policy, without which no identity policy counts for a key).
 */
export async function decide(
  template: Template,
  rolePrefix: string,
  action: string,
  resource: string,
  context: Context = {},
  resourcePolicy?: PolicyDoc,
): Promise<Decision> {
  const { inline, managed } = rolePolicies(template, rolePrefix);
  const policies: PolicyDoc[] = [...inline, ...managed];
  const result = await runSimulation(
    {
      identityPolicies: policies.map((policy, i) => ({ name: `${rolePrefix}-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      request: {
        action,
        principal: `arn:${PARTITION}:iam::${ACCOUNT}:role/${rolePrefix}`,
        resource: { accountId: ACCOUNT, resource },
        // aws:PrincipalArn of a role session is the role's ARN, path included: what the bucket's protected-side Deny matches
        contextVariables: { 'aws:SecureTransport': 'true', 'aws:PrincipalArn': roleArn(template, rolePrefix), 'aws:PrincipalAccount': ACCOUNT, ...context },
      },
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`the simulator refused the request ${action} ${resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

/** Several requests at once, answered as `{ label: decision }` so a failure names every request that went wrong. */
export async function decisions(cases: Record<string, () => Promise<Decision>>): Promise<Record<string, Decision>> {
  const out: Record<string, Decision> = {};
  for (const [label, run] of Object.entries(cases)) out[label] = await run();
  return out;
}
