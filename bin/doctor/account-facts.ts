/**
 * What `lifeboat doctor` reads beside EC2: the roles' identity policies (IAM), the keys (KMS), the vCPU quota
 * (Service Quotas), the replica bucket's settings (S3) and the alert topic's subscriptions (SNS). Reads only; a
 * read the operator may not make is reported as what it is, not as a broken site.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, GetKeyPolicyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { STANDARD_VCPU_QUOTA_CODE } from '../../runtime/core/sync/vcpu-quota';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { appliedStandardVcpuQuota } from '../../runtime/aws/vcpu-capacity';
import {
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  type ListSubscriptionsByTopicCommandOutput,
  type ListTopicsCommandOutput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { PolicyDocument } from './key-use';

/** A read that failed, with the service's error name (AccessDenied, NotFound …). */
export class ReadFailed extends Error {
  constructor(
    readonly what: string,
    readonly cause: Error,
  ) {
    // one line: an SDK's deserialization error spans several
    super(`could not read ${what}: ${cause.name}: ${cause.message}`.replace(/\s+/g, ' ').trim());
    this.name = 'ReadFailed';
  }
}

/** The fix for a failed read: the permissions it needs when it was refused, else the error itself. */
export function readFix(failure: ReadFailed, permissions: string): string {
  if (/AccessDenied|AuthorizationError|UnauthorizedOperation|Forbidden/.test(failure.cause.name))
    return `run lifeboat doctor as a principal allowed ${permissions}`;
  return 'the read failed for a reason other than permissions (see the error); check AWS_REGION, the credentials and, offline, AWS_ENDPOINT_URL';
}

async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new ReadFailed(what, err as Error);
  }
}

const parseDocument = (encoded: string | undefined): PolicyDocument => JSON.parse(decodeURIComponent(encoded ?? '%7B%7D')) as PolicyDocument;

/** A role's inline and attached policies (IAM returns documents URL-encoded). */
export async function roleIdentityPolicies(iam: IAMClient, roleArn: string): Promise<Array<{ name: string; policy: PolicyDocument }>> {
  const roleName = roleArn.split('/').pop()!;
  return read(`the policies of role ${roleName}`, async () => {
    const out: Array<{ name: string; policy: PolicyDocument }> = [];
    const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    for (const name of inline.PolicyNames ?? []) {
      const p = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      out.push({ name, policy: parseDocument(p.PolicyDocument) });
    }
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    for (const a of attached.AttachedPolicies ?? []) {
      const policy = await iam.send(new GetPolicyCommand({ PolicyArn: a.PolicyArn }));
      const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: a.PolicyArn, VersionId: policy.Policy?.DefaultVersionId }));
      out.push({ name: a.PolicyName ?? a.PolicyArn!, policy: parseDocument(version.PolicyVersion?.Document) });
    }
    return out;
  });
}

export interface KeyFacts {
  readonly keyArn: string;
  readonly state: string;
  readonly manager: string;
  readonly policy: PolicyDocument;
}

export async function keyFacts(kms: KMSClient, keyId: string): Promise<KeyFacts> {
  return read(`KMS key ${keyId}`, async () => {
    const key = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    const meta = key.KeyMetadata!;
    const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: meta.Arn!, PolicyName: 'default' }));
    return {
      keyArn: meta.Arn!,
      state: meta.KeyState ?? 'Unknown',
      manager: meta.KeyManager ?? 'CUSTOMER',
      policy: JSON.parse(policy.Policy ?? '{}') as PolicyDocument,
    };
  });
}

/** The Standard On-Demand vCPU quota (runtime/core/sync/vcpu-quota.ts), the applied value. */
export async function standardVcpuQuota(quotas: ServiceQuotasClient): Promise<number> {
  return read(`Service Quotas ec2/${STANDARD_VCPU_QUOTA_CODE}`, () => appliedStandardVcpuQuota(quotas));
}

export interface BucketFacts {
  readonly versioning: string;
  /** SSEAlgorithm of the default encryption rule ('AES256', 'aws:kms', 'aws:kms:dsse'), or null. */
  readonly encryption: string | null;
  /** The Object Lock default retention, or null when Object Lock is not enabled. */
  readonly objectLock: { readonly enabled: boolean; readonly mode?: string; readonly days?: number } | null;
}

export async function bucketFacts(s3: S3Client, bucket: string): Promise<BucketFacts> {
  return read(`bucket ${bucket}`, async () => {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })).catch((err: Error) => {
      if (err.name === 'ServerSideEncryptionConfigurationNotFoundError') return null;
      throw err;
    });
    const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })).catch((err: Error) => {
      if (err.name === 'ObjectLockConfigurationNotFoundError') return null;
      throw err;
    });
    const rule = lock?.ObjectLockConfiguration?.Rule?.DefaultRetention;
    return {
      versioning: versioning.Status ?? 'never enabled',
      encryption: encryption?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? null,
      objectLock: lock ? { enabled: lock.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled', mode: rule?.Mode, days: rule?.Days } : null,
    };
  });
}

export interface TopicFacts {
  readonly topicArn: string;
  readonly confirmed: readonly string[];
  readonly pending: readonly string[];
}

/** The topic of this name and its subscriptions (SubscriptionArn "PendingConfirmation" until the mail is confirmed), or null. */
export async function topicFacts(sns: SNSClient, topicName: string): Promise<TopicFacts | null> {
  return read(`SNS topic ${topicName}`, async () => {
    let topicArn: string | undefined;
    let next: string | undefined;
    do {
      const page: ListTopicsCommandOutput = await sns.send(new ListTopicsCommand({ NextToken: next }));
      topicArn = page.Topics?.find((t) => t.TopicArn?.split(':').pop() === topicName)?.TopicArn;
      next = page.NextToken;
    } while (!topicArn && next);
    if (!topicArn) return null;
    const confirmed: string[] = [];
    const pending: string[] = [];
    next = undefined;
    do {
      const page: ListSubscriptionsByTopicCommandOutput = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: next }));
      for (const s of page.Subscriptions ?? []) {
        const who = `${s.Protocol}:${s.Endpoint}`;
        if (s.SubscriptionArn?.startsWith('arn:')) confirmed.push(who);
        else pending.push(who);
      }
      next = page.NextToken;
    } while (next);
    return { topicArn, confirmed, pending };
  });
}
