/**
 * The one place a request's permissions are decided: each (action, resource, context) a request needs is run
 * through @cloud-copilot/iam-simulate (AWS's policy evaluation logic with iam-data's Service Authorization
 * Reference data) against the role's identity policies and the resource's policy, if the service has one.
 * Every check must be allowed (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 */
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { AWS_MANAGED_POLICIES } from './aws-managed-policies';
import type { IamRegistry, PolicyDocument, RoleRecord } from './registry';

export type ContextValues = Record<string, string | string[]>;

/** One authorization a request needs: the action on one resource ARN (or '*'), with the request's condition keys. */
export interface AuthzCheck {
  action: string;
  resource: string;
  context: ContextValues;
  /** The account owning the resource (default: the caller's). */
  resourceAccount?: string;
  resourcePolicy?: PolicyDocument;
}

export interface Verdict {
  allowed: boolean;
  /** The first check not allowed, and why (the simulator's result or its validation error). */
  denied?: { check: AuthzCheck; result: string };
}

/** The session a role's credentials stand for, as STS names it (assumed-role ARN). */
export function sessionArn(role: RoleRecord): string {
  return `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/offline-session`;
}

/** Keys AWS puts in every request's context (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). */
function globalContext(role: RoleRecord, region: string): ContextValues {
  return {
    'aws:PrincipalArn': role.arn,
    'aws:PrincipalAccount': role.accountId,
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': `${role.roleId}:offline-session`,
    'aws:RequestedRegion': region,
    // The offline endpoint is plain HTTP on 127.0.0.1 standing for AWS's HTTPS endpoints, which the SDK always uses.
    'aws:SecureTransport': 'true',
  };
}

export async function evaluate(iam: IamRegistry, role: RoleRecord, region: string, checks: AuthzCheck[]): Promise<Verdict> {
  const identityPolicies = iam.identityPolicies(role, (arn) => AWS_MANAGED_POLICIES[arn]);
  for (const check of checks) {
    const simulation: Simulation = {
      request: {
        principal: sessionArn(role),
        action: check.action,
        resource: { resource: check.resource, accountId: check.resourceAccount ?? role.accountId },
        contextVariables: { ...globalContext(role, region), ...check.context },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: check.resourcePolicy,
    };
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') return { allowed: false, denied: { check, result: `invalid request: ${JSON.stringify(result.errors)}` } };
    if (result.overallResult !== 'Allowed') return { allowed: false, denied: { check, result: result.overallResult } };
  }
  return { allowed: true };
}
