/**
 * The identities an assembly deployed, as IAM holds them: roles (trust policy, inline policies, attached managed
 * policies), managed policies, instance profiles, and the S3 bucket policies the authorizer reads as resource
 * policies. It also issues each role's temporary credentials, as STS does for a Lambda function or an instance
 * profile, and answers which role an access key belongs to.
 * An access key the registry did not issue is the default account's administrator (the CLI's and tests' dummy keys).
 */
import { createHash } from 'node:crypto';
import { type CloudClock, REAL_TIME } from '../clock';

export type PolicyDocument = { Version?: string; Id?: string; Statement: unknown };

export interface RoleRecord {
  roleName: string;
  arn: string;
  roleId: string;
  path: string;
  accountId: string;
  createDate: string;
  assumeRolePolicyDocument: PolicyDocument;
  /** Inline policies by name (AWS::IAM::Role Policies and AWS::IAM::Policy). */
  inlinePolicies: Record<string, PolicyDocument>;
  /** ARNs of attached managed policies (customer managed or AWS managed). */
  managedPolicyArns: string[];
}

export interface ManagedPolicyRecord {
  policyName: string;
  arn: string;
  policyId: string;
  path: string;
  createDate: string;
  document: PolicyDocument;
}

export interface InstanceProfileRecord {
  name: string;
  arn: string;
  roleNames: string[];
}

export interface RoleCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** ISO time. */
  Expiration: string;
}

export interface IamState {
  roles: RoleRecord[];
  policies: ManagedPolicyRecord[];
  instanceProfiles: InstanceProfileRecord[];
  bucketPolicies: Record<string, PolicyDocument>;
  /** Accounts whose administrator credentials were handed out (their keys stay valid across a restart). */
  adminAccounts?: string[];
}

/** STS session credentials last 1 h by default (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html). */
const SESSION_MS = 3600_000;

const digest = (text: string) => createHash('sha256').update(text).digest('hex').toUpperCase();

/** An id in IAM's shape: a 4-letter prefix (AROA role, ANPA policy, ASIA session key) and 16 characters. */
export const iamId = (prefix: string, seed: string) => `${prefix}${digest(seed).slice(0, 16)}`;

/** The key of a role or instance profile: its name is unique within its account. */
export const roleKey = (accountId: string, name: string) => `${accountId}/${name}`;

const accountOfArn = (arn: string) => arn.split(':')[4] ?? '';

export class IamRegistry {
  /** Credentials expire on the cloud's clock, which is the clock their users' SDKs compare against. */
  constructor(readonly clock: CloudClock = REAL_TIME) {}

  /** By `ACCOUNT/NAME` (roleKey): a role's name is unique in its account only. */
  readonly roles = new Map<string, RoleRecord>();
  /** By ARN (which names the account). */
  readonly policies = new Map<string, ManagedPolicyRecord>();
  /** By `ACCOUNT/NAME` (roleKey). */
  readonly instanceProfiles = new Map<string, InstanceProfileRecord>();
  /** Bucket name → its bucket policy. */
  readonly bucketPolicies = new Map<string, PolicyDocument>();
  /** Access key id → role key; account administrators' keys → `ACCOUNT/` (no role). */
  private readonly keyOwners = new Map<string, string>();

  putRole(role: RoleRecord): void {
    this.roles.set(roleKey(role.accountId, role.roleName), role);
    this.keyOwners.set(this.keyIdOf(role.arn), roleKey(role.accountId, role.roleName));
  }

  role(accountId: string, roleName: string): RoleRecord | undefined {
    return this.roles.get(roleKey(accountId, roleName));
  }

  rolesOf(accountId: string): RoleRecord[] {
    return [...this.roles.values()].filter((r) => r.accountId === accountId);
  }

  roleByArn(arn: string): RoleRecord | undefined {
    const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
    const role = m ? this.role(m[1], m[2]) : undefined;
    return role?.arn === arn ? role : undefined;
  }

  /** The role of an instance profile (an instance profile holds at most one role, of its own account). */
  roleOfInstanceProfile(profileArn: string): RoleRecord | undefined {
    const m = /^arn:aws:iam::(\d{12}):instance-profile\/(?:.*\/)?([^/]+)$/.exec(profileArn);
    const profile = m ? this.instanceProfiles.get(roleKey(m[1], m[2])) : undefined;
    return profile?.roleNames[0] !== undefined ? this.role(m![1], profile.roleNames[0]) : undefined;
  }

  /**
   * An account's administrator credentials (as an IAM user with AdministratorAccess would have): how the offline
   * cloud deploys a stack into another account, and how a test acts as that account. Stable per account.
   */
  adminCredentialsFor(accountId: string): { AccessKeyId: string; SecretAccessKey: string } {
    const AccessKeyId = iamId('AKIA', `admin/${accountId}`);
    this.keyOwners.set(AccessKeyId, roleKey(accountId, ''));
    return { AccessKeyId, SecretAccessKey: digest(`admin-secret/${accountId}`).slice(0, 40) };
  }

  /** The account an access key acts in: its role's, an administrator key's, else the default account. */
  accountOfAccessKey(accessKeyId: string, defaultAccount: string): string {
    const owner = this.keyOwners.get(accessKeyId);
    return owner ? owner.slice(0, owner.indexOf('/')) : defaultAccount;
  }

  /** Temporary credentials of a role; the key id is stable per role, so a restarted cloud still knows it. */
  credentialsFor(role: RoleRecord, now = this.clock.now()): RoleCredentials {
    const AccessKeyId = this.keyIdOf(role.arn);
    return {
      AccessKeyId,
      SecretAccessKey: digest(`secret/${role.arn}`).slice(0, 40),
      SessionToken: Buffer.from(`offline-session/${role.arn}`).toString('base64'),
      Expiration: new Date(now + SESSION_MS).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  /** The role whose credentials carry this access key id; undefined: the default account's administrator. */
  roleOfAccessKey(accessKeyId: string): RoleRecord | undefined {
    const owner = this.keyOwners.get(accessKeyId);
    return owner ? this.roles.get(owner) : undefined;
  }

  /** Every policy document the role's permissions come from, by name (inline) or ARN (managed). */
  identityPolicies(role: RoleRecord, managed: (arn: string) => PolicyDocument | undefined): Array<{ name: string; policy: PolicyDocument }> {
    const out = Object.entries(role.inlinePolicies).map(([name, policy]) => ({ name, policy }));
    for (const arn of role.managedPolicyArns) {
      const policy = this.policies.get(arn)?.document ?? managed(arn);
      if (policy) out.push({ name: arn, policy });
    }
    return out;
  }

  private keyIdOf(roleArn: string): string {
    return iamId('ASIA', `key/${roleArn}`);
  }

  toJSON(): IamState {
    return {
      roles: [...this.roles.values()],
      policies: [...this.policies.values()],
      instanceProfiles: [...this.instanceProfiles.values()],
      bucketPolicies: Object.fromEntries(this.bucketPolicies),
      adminAccounts: [...new Set([...this.keyOwners.values()].filter((o) => o.endsWith('/')).map((o) => o.slice(0, -1)))],
    };
  }

  restore(state: IamState): void {
    for (const r of state.roles ?? []) this.putRole(r);
    for (const p of state.policies ?? []) this.policies.set(p.arn, p);
    for (const p of state.instanceProfiles ?? []) this.instanceProfiles.set(roleKey(accountOfArn(p.arn), p.name), p);
    for (const a of state.adminAccounts ?? []) this.adminCredentialsFor(a);
    for (const [b, p] of Object.entries(state.bucketPolicies ?? {})) this.bucketPolicies.set(b, p);
  }
}
