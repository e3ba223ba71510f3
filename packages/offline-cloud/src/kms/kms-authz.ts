/**
 * Who may use a KMS key, as AWS decides it (https://docs.aws.amazon.com/kms/latest/developerguide/control-access.html):
 * - the key policy is the primary control; IAM policies of the key's account count only when the key policy lets
 *   the account in (a statement for `arn:aws:iam::ACCOUNT:root`), which @cloud-copilot/iam-simulate's KMS authorizer
 *   applies when the key policy is the resource policy
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html#key-policy-default-allow-root-enable-iam);
 * - a grant also allows its grantee the grant's operations, within its constraints, unless a policy denies explicitly
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html);
 * - a key not Enabled refuses cryptographic operations: DisabledException, or KMSInvalidStateException when pending
 *   deletion (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
 * Condition keys set here: kms:CallerAccount on every request, kms:ViaService when a service calls on the caller's
 * behalf, kms:GrantIsForAWSResource on the grant operations
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { accessKeyOf } from '../iam/authorizer';
import { type Caller, type ContextValues, evaluate, sessionArn, type Verdict } from '../iam/evaluate';
import type { IamRegistry } from '../iam/registry';
import { AwsError } from '../service';
import type { GrantRecord, KeyRecord } from './kms-keys';

/** The operations that a disabled or pending-deletion key refuses. */
export const CRYPTO_OPERATIONS = new Set([
  'Encrypt',
  'Decrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncrypt',
  'ReEncryptFrom',
  'ReEncryptTo',
]);
const GRANT_OPERATIONS = new Set(['CreateGrant', 'ListGrants', 'RevokeGrant']);

/** The signer of a request: a deployed role's session, else its account's administrator (an IAM user). */
export function callerOf(req: { headers: IncomingHttpHeaders; path?: string; account: string }, iam: IamRegistry | undefined): Caller {
  const key = accessKeyOf({ headers: req.headers, url: req.path });
  const role = key ? iam?.roleOfAccessKey(key) : undefined;
  return role ?? { kind: 'account-admin', accountId: req.account };
}

/** The principal ARNs a grant's GranteePrincipal may name for this caller (the role, or its session). */
function principalsOf(caller: Caller): string[] {
  return 'roleName' in caller ? [caller.arn, sessionArn(caller)] : [sessionArn(caller)];
}

export interface KeyUse {
  /** The KMS operation (API name), e.g. 'Decrypt'; the IAM action is kms:<operation>. */
  operation: string;
  /** Set when an AWS service calls on the caller's behalf: `ec2.REGION.amazonaws.com`. */
  viaService?: string;
  encryptionContext?: Record<string, string>;
  /** More condition keys (kms:GranteePrincipal, kms:GrantOperations …). */
  context?: ContextValues;
}

function grantAllows(grant: GrantRecord, caller: Caller, use: KeyUse): boolean {
  if (!principalsOf(caller).includes(grant.granteePrincipal)) return false;
  if (!grant.operations.includes(use.operation)) return false;
  const ctx = use.encryptionContext ?? {};
  const subset = grant.constraints?.EncryptionContextSubset;
  if (subset && !Object.entries(subset).every(([k, v]) => ctx[k] === v)) return false;
  const equals = grant.constraints?.EncryptionContextEquals;
  if (equals && JSON.stringify(Object.entries(equals).sort()) !== JSON.stringify(Object.entries(ctx).sort())) return false;
  return true;
}

/** The key's state refuses this operation: AWS's error for it. */
export function stateError(key: KeyRecord, operation: string): AwsError | undefined {
  if (
    key.state === 'PendingDeletion' &&
    operation !== 'DescribeKey' &&
    !operation.startsWith('List') &&
    !operation.startsWith('Get') &&
    operation !== 'CancelKeyDeletion' &&
    operation !== 'RetireGrant' &&
    operation !== 'RevokeGrant'
  ) {
    return new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  }
  if (key.state === 'Disabled' && (CRYPTO_OPERATIONS.has(operation) || operation === 'CreateGrant'))
    return new AwsError('DisabledException', `${key.arn} is disabled.`);
  return undefined;
}

/** Whether `caller` may perform `use` on `key` (key policy, IAM through the key policy, grants). */
export async function mayUse(iam: IamRegistry, caller: Caller, region: string, key: KeyRecord, use: KeyUse): Promise<Verdict> {
  const context: ContextValues = { 'kms:CallerAccount': caller.accountId, ...use.context };
  if (use.viaService) context['kms:ViaService'] = use.viaService;
  if (GRANT_OPERATIONS.has(use.operation)) context['kms:GrantIsForAWSResource'] = use.viaService ? 'true' : 'false';
  for (const [k, v] of Object.entries(use.encryptionContext ?? {})) context[`kms:EncryptionContext:${k}`] = v;
  if (use.encryptionContext) context['kms:EncryptionContextKeys'] = Object.keys(use.encryptionContext);
  const verdict = await evaluate(iam, caller, region, [
    { action: `kms:${use.operation}`, resource: key.arn, context, resourceAccount: key.accountId, resourcePolicy: key.policy },
  ]);
  if (verdict.allowed || verdict.denied?.result === 'ExplicitlyDenied') return verdict;
  return key.grants.some((g) => grantAllows(g, caller, use)) ? { allowed: true } : verdict;
}

/** KMS's AccessDeniedException text (https://docs.aws.amazon.com/kms/latest/developerguide/troubleshooting-access-denied.html). */
export function accessDenied(caller: Caller, key: KeyRecord, operation: string, verdict: Verdict): AwsError {
  const why =
    verdict.denied?.result === 'ExplicitlyDenied' ? 'with an explicit deny' : 'because no resource-based policy allows the kms:' + operation + ' action';
  return new AwsError('AccessDeniedException', `User: ${sessionArn(caller)} is not authorized to perform: kms:${operation} on resource: ${key.arn} ${why}`);
}
