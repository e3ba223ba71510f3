/**
 * The checks of what a site shares: its replica bucket (versioning, default encryption, Object Lock as the config
 * asks), its alert topic's subscriptions, and the account's On-Demand Standard vCPU quota against the workers a
 * sync runs at once. Pure: the facts come from account-facts.ts and ec2-facts.ts.
 */
import type { StoreConfig } from '../../lib/config';
import { STANDARD_VCPU_QUOTA_CODE } from '../../runtime/core/sync/vcpu-quota';
import { type BucketFacts, ReadFailed, readFix, type TopicFacts } from './account-facts';
import { type DoctorCheck, ok, problem, warning } from './doctor-model';

export function storeChecks(bucket: string, facts: BucketFacts | ReadFailed, store: StoreConfig): DoctorCheck[] {
  if (facts instanceof ReadFailed) {
    if (facts.cause.name === 'NotFound' || facts.cause.name === 'NoSuchBucket') {
      return [
        problem(
          null,
          'store',
          `replica bucket ${bucket} does not exist`,
          'deploy the site stack (npx cdk deploy --all), or create the bucket store.bucketName names',
        ),
      ];
    }
    return [
      warning(
        null,
        'store',
        facts.message,
        readFix(facts, 's3:ListBucket, s3:GetBucketVersioning, s3:GetEncryptionConfiguration and s3:GetBucketObjectLockConfiguration on the bucket'),
      ),
    ];
  }
  const out: DoctorCheck[] = [];
  if (facts.versioning === 'Enabled') out.push(ok(null, 'store', `${bucket}: versioning enabled, so a replaced manifest or pack stays recoverable`));
  else
    out.push(
      warning(
        null,
        'store',
        `${bucket}: versioning is ${facts.versioning}; a pack or manifest overwritten or deleted by mistake is gone`,
        `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`,
      ),
    );
  if (facts.encryption) out.push(ok(null, 'store', `${bucket}: default encryption ${facts.encryption}`));
  else out.push(warning(null, 'store', `${bucket}: no default encryption`, `aws s3api put-bucket-encryption --bucket ${bucket} (SSE-S3 or SSE-KMS)`));
  const lock = store.objectLock;
  if (lock) {
    const have = facts.objectLock;
    if (!have?.enabled)
      out.push(
        problem(
          null,
          'store',
          `store.objectLock asks for ${lock.mode} retention of ${lock.days} days, but ${bucket} has no Object Lock`,
          'Object Lock is set when a bucket is created: let the site stack create a new bucket (leave store.bucketName out), or create one with Object Lock and name it',
        ),
      );
    else if (have.mode !== lock.mode || have.days !== lock.days)
      out.push(
        warning(
          null,
          'store',
          `${bucket}: Object Lock default retention is ${have.mode ?? 'none'} ${have.days ?? 0} days, the config says ${lock.mode} ${lock.days}`,
          'deploy the site stack again, or set store.objectLock to what the bucket has',
        ),
      );
    else out.push(ok(null, 'store', `${bucket}: Object Lock ${have.mode} for ${have.days} days`));
  }
  return out;
}

export function alertChecks(topicName: string, facts: TopicFacts | null | ReadFailed, email: string | undefined): DoctorCheck[] {
  if (facts === null) return [problem(null, 'alerts', `alert topic ${topicName} does not exist`, 'deploy the site stack (npx cdk deploy --all)')];
  if (facts instanceof ReadFailed) return [warning(null, 'alerts', facts.message, readFix(facts, 'sns:ListTopics and sns:ListSubscriptionsByTopic'))];
  if (facts.confirmed.length > 0) return [ok(null, 'alerts', `${topicName} notifies ${facts.confirmed.join(', ')}`)];
  if (facts.pending.length > 0) {
    return [
      warning(
        null,
        'alerts',
        `${topicName}: ${facts.pending.join(', ')} ${facts.pending.length === 1 ? 'has' : 'have'} not confirmed the subscription, so alarms notify nobody`,
        'open the "AWS Notification - Subscription Confirmation" mail and confirm',
      ),
    ];
  }
  const fix = email
    ? `the subscription of ${email} is gone: deploy the site stack again`
    : 'set alerts.email in lifeboat.config.json and deploy, or subscribe to the topic';
  return [warning(null, 'alerts', `${topicName} has no subscription: a failed sync or a missed RPO notifies nobody`, fix)];
}

export interface VcpuNeed {
  /** The VPG, its zSATs at once, and the vCPUs of its preferred zSAT type. */
  readonly vpg: string;
  readonly zsats: number;
  readonly instanceType: string;
  readonly vcpusEach: number;
}

/**
 * Every VPG's zSATs at once against the quota, as a sync sizes them (runtime/core/sync/vcpu-quota.ts): a quota smaller
 * than one zSAT can never launch one, and one whose free vCPUs hold no zSAT now fails once the launch retries run
 * out; free vCPUs for fewer than all its zSATs is a warning (a sync runs those that fit, the others after them).
 */
export function vcpuChecks(quota: number | ReadFailed, needs: readonly VcpuNeed[], inUse: number): DoctorCheck[] {
  if (quota instanceof ReadFailed) return [warning(null, 'vcpu-quota', quota.message, readFix(quota, 'servicequotas:GetServiceQuota'))];
  const out: DoctorCheck[] = [];
  const zsatsOf = (n: number, type: string) => `${n} zSAT${n === 1 ? '' : 's'} of ${type}`;
  for (const n of needs) {
    const need = n.zsats * n.vcpusEach;
    const free = Math.max(0, quota - inUse);
    const requestFix = `request ${STANDARD_VCPU_QUOTA_CODE} of at least ${need + inUse} in Service Quotas`;
    if (n.vcpusEach > quota) {
      out.push(
        problem(
          n.vpg,
          'vcpu-quota',
          `one zSAT of ${n.instanceType} needs ${n.vcpusEach} vCPUs, over the account's quota of ${quota} vCPUs of Running On-Demand Standard instances (${STANDARD_VCPU_QUOTA_CODE}): no zSAT can launch`,
          `${requestFix}, or list a smaller type first in agent.instanceTypes`,
        ),
      );
    } else if (n.vcpusEach > free) {
      out.push(
        problem(
          n.vpg,
          'vcpu-quota',
          `${inUse} of the quota's ${quota} vCPUs are in use now, so not one zSAT of ${n.instanceType} (${n.vcpusEach} vCPUs) can launch: a sync now fails once its launch retries run out`,
          `stop or terminate instances (test-mode recovered VMs: lifeboat failback-cleanup <vpg>), or ${requestFix}`,
        ),
      );
    } else if (need > free) {
      const fit = Math.floor(free / n.vcpusEach);
      out.push(
        warning(
          n.vpg,
          'vcpu-quota',
          `${need} vCPUs of zSATs at once; ${inUse} of the quota's ${quota} are in use now, so a sync runs ${zsatsOf(fit, n.instanceType)} at once of its ${n.zsats}, the others after them (a first sync takes longer)`,
          requestFix,
        ),
      );
    } else {
      out.push(
        ok(
          n.vpg,
          'vcpu-quota',
          `${zsatsOf(n.zsats, n.instanceType)} at once need${n.zsats === 1 ? 's' : ''} ${need} of ${free} free vCPUs (quota ${quota}, ${inUse} in use)`,
        ),
      );
    }
  }
  return out;
}
