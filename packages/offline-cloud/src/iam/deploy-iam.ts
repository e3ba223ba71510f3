/**
 * What the assembly deployer does with IAM resources and bucket policies: records them in the IamRegistry, with
 * the physical ids and attributes CloudFormation gives them, and fails the resource where IAM's quotas would.
 * Quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a role's inline policies
 * together at most 10,240 characters, a managed policy at most 6,144, at most 10 managed policies per role (the
 * default quota); IAM does not count white space. The messages are IAM's LimitExceeded messages
 * (https://repost.aws/knowledge-center/iam-increase-policy-size).
 */
import { AWS_MANAGED_POLICIES } from './aws-managed-policies';
import { iamId, roleKey, type IamRegistry, type PolicyDocument, type RoleRecord } from './registry';

export const ROLE_INLINE_POLICY_QUOTA = 10_240;
export const MANAGED_POLICY_QUOTA = 6_144;
export const MANAGED_POLICIES_PER_ROLE_QUOTA = 10;

/** A resource IAM refused: the deploy fails with it, as the stack would (CREATE_FAILED). */
export class IamDeployError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface IamProvisionEnv {
  iam: IamRegistry;
  accountId: string;
  /** CloudFormation's generated physical name for a resource that names none. */
  generatedName: (maxLength: number) => string;
}

type Provisioned = { physicalId: string; attributes: Record<string, unknown> };

/** Characters IAM counts against a quota: the JSON without white space. */
export function policySize(doc: unknown): number {
  return JSON.stringify(doc).replace(/\s/g, '').length;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function checkInlineQuota(role: RoleRecord): void {
  const size = Object.values(role.inlinePolicies).reduce((n, d) => n + policySize(d), 0);
  if (size > ROLE_INLINE_POLICY_QUOTA) {
    throw new IamDeployError('LimitExceeded', `Maximum policy size of ${ROLE_INLINE_POLICY_QUOTA} bytes exceeded for role ${role.roleName}`);
  }
}

function attach(env: IamProvisionEnv, role: RoleRecord, arn: string): void {
  if (!env.iam.policies.has(arn) && !AWS_MANAGED_POLICIES[arn]) {
    throw new IamDeployError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
  }
  if (!role.managedPolicyArns.includes(arn)) role.managedPolicyArns.push(arn);
  if (role.managedPolicyArns.length > MANAGED_POLICIES_PER_ROLE_QUOTA) {
    throw new IamDeployError('LimitExceeded', `Cannot exceed quota for PoliciesPerRole: ${MANAGED_POLICIES_PER_ROLE_QUOTA}`);
  }
}

function requireRole(env: IamProvisionEnv, name: unknown): RoleRecord {
  const role = env.iam.role(env.accountId, String(name));
  if (!role) throw new IamDeployError('NoSuchEntity', `The role with name ${String(name)} cannot be found.`);
  return role;
}

export function provisionRole(props: Record<string, unknown>, env: IamProvisionEnv): Provisioned {
  const roleName = (props.RoleName as string) ?? env.generatedName(64);
  const path = (props.Path as string) ?? '/';
  const arn = `arn:aws:iam::${env.accountId}:role${path}${roleName}`;
  const previous = env.iam.role(env.accountId, roleName);
  const role: RoleRecord = {
    roleName,
    arn,
    roleId: iamId('AROA', arn),
    path,
    accountId: env.accountId,
    createDate: previous?.createDate ?? now(),
    assumeRolePolicyDocument: props.AssumeRolePolicyDocument as PolicyDocument,
    inlinePolicies: {},
    managedPolicyArns: [],
  };
  // Policies of separate AWS::IAM::Policy resources stay on a redeployed role
  for (const [name, doc] of Object.entries(previous?.inlinePolicies ?? {})) role.inlinePolicies[name] = doc;
  for (const p of (props.Policies as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }>) ?? []) role.inlinePolicies[p.PolicyName] = p.PolicyDocument;
  checkInlineQuota(role);
  for (const a of (props.ManagedPolicyArns as string[]) ?? []) attach(env, role, a);
  env.iam.putRole(role);
  return { physicalId: roleName, attributes: { Arn: arn, RoleId: role.roleId } };
}

/** AWS::IAM::Policy: an inline policy put on each role it names (PutRolePolicy). */
export function provisionInlinePolicy(props: Record<string, unknown>, env: IamProvisionEnv): Provisioned {
  const name = String(props.PolicyName);
  for (const roleName of (props.Roles as string[]) ?? []) {
    const role = requireRole(env, roleName);
    role.inlinePolicies[name] = props.PolicyDocument as PolicyDocument;
    checkInlineQuota(role);
  }
  return { physicalId: name, attributes: { Id: name } };
}

export function provisionManagedPolicy(props: Record<string, unknown>, env: IamProvisionEnv): Provisioned {
  const policyName = (props.ManagedPolicyName as string) ?? env.generatedName(128);
  const path = (props.Path as string) ?? '/';
  const arn = `arn:aws:iam::${env.accountId}:policy${path}${policyName}`;
  const document = props.PolicyDocument as PolicyDocument;
  if (policySize(document) > MANAGED_POLICY_QUOTA) {
    throw new IamDeployError('LimitExceeded', `Cannot exceed quota for PolicySize: ${MANAGED_POLICY_QUOTA}`);
  }
  const previous = env.iam.policies.get(arn);
  env.iam.policies.set(arn, { policyName, arn, policyId: iamId('ANPA', arn), path, createDate: previous?.createDate ?? now(), document });
  for (const roleName of (props.Roles as string[]) ?? []) attach(env, requireRole(env, roleName), arn);
  return { physicalId: arn, attributes: { PolicyArn: arn, PolicyId: iamId('ANPA', arn) } };
}

export function provisionInstanceProfile(props: Record<string, unknown>, env: IamProvisionEnv): Provisioned {
  const name = (props.InstanceProfileName as string) ?? env.generatedName(128);
  const path = (props.Path as string) ?? '/';
  const arn = `arn:aws:iam::${env.accountId}:instance-profile${path}${name}`;
  const roleNames = ((props.Roles as string[]) ?? []).map(String);
  for (const r of roleNames) requireRole(env, r);
  env.iam.instanceProfiles.set(roleKey(env.accountId, name), { name, arn, roleNames });
  return { physicalId: name, attributes: { Arn: arn } };
}

export function provisionBucketPolicy(props: Record<string, unknown>, env: IamProvisionEnv): Provisioned {
  const bucket = String(props.Bucket);
  env.iam.bucketPolicies.set(bucket, props.PolicyDocument as PolicyDocument);
  return { physicalId: bucket, attributes: {} };
}
