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

/**
 * An account's administrator: the CLI's and tests' keys (an IAM user with AdministratorAccess). Nothing is evaluated
 * in its own account; its requests for another account's resources are (that resource's policy must allow them).
 */
export interface AccountAdmin {
  readonly kind: 'account-admin';
  readonly accountId: string;
}

/** Who signed a request: a deployed role's session, or an account's administrator. */
export type Caller = RoleRecord | AccountAdmin;

const isAdmin = (c: Caller): c is AccountAdmin => (c as AccountAdmin).kind === 'account-admin';
const ADMINISTRATOR_ACCESS: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** The session a role's credentials stand for, as STS names it (assumed-role ARN); an administrator's user ARN. */
export function sessionArn(caller: Caller): string {
  if (isAdmin(caller)) return `arn:aws:iam::${caller.accountId}:user/offline-administrator`;
  return `arn:aws:sts::${caller.accountId}:assumed-role/${caller.roleName}/offline-session`;
}

/** Keys AWS puts in every request's context (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html). */
function globalContext(caller: Caller, region: string): ContextValues {
  const who: ContextValues = isAdmin(caller)
    ? { 'aws:PrincipalArn': sessionArn(caller), 'aws:PrincipalType': 'User', 'aws:userid': `AIDA${caller.accountId}` }
    : { 'aws:PrincipalArn': caller.arn, 'aws:PrincipalType': 'AssumedRole', 'aws:userid': `${caller.roleId}:offline-session` };
  return {
    ...who,
    'aws:PrincipalAccount': caller.accountId,
    'aws:RequestedRegion': region,
    // The offline endpoint is plain HTTP on 127.0.0.1 standing for AWS's HTTPS endpoints, which the SDK always uses.
    'aws:SecureTransport': 'true',
  };
}

export async function evaluate(iam: IamRegistry, role: Caller, region: string, checks: AuthzCheck[]): Promise<Verdict> {
  const identityPolicies = isAdmin(role)
    ? [{ name: 'AdministratorAccess', policy: ADMINISTRATOR_ACCESS }]
    : iam.identityPolicies(role, (arn) => AWS_MANAGED_POLICIES[arn]);
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
