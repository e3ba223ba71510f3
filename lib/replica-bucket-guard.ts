/**
 * The replica bucket's second guard against a compromised protected side: explicit Deny statements in the bucket
 * policy for every role under the site's protected path (`/lifeboat-<site>/protected/`, runtime/core/resource-names.ts:
 * each VPG's zSAT agent role and its sync and cleanup step roles). The roles' own policies already grant nothing of
 * this (lib/vpg-agent-role.ts, lib/vpg-step-roles.ts); the bucket's Deny holds even if someone widens them, and holds
 * for roles of another account, because an explicit Deny in any policy that applies to a request (the bucket's
 * resource-based policy applies to every request for the bucket) overrides every Allow, within one account and across
 * accounts alike (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
 *
 * Who is denied: `aws:PrincipalArn`, which for a role session is the role's ARN, path included (not the
 * assumed-role session ARN), and is present in every signed request
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
 * matched with ArnLike against `arn:<partition>:iam::*:role/lifeboat-<site>/protected/*` (any account). Nothing else
 * matches it: not the deploying administrator, not CloudFormation's execution role, not an AWS service principal
 * (whose requests carry no aws:PrincipalArn, so the condition is false), so no statement here can lock anyone out of
 * updating this policy. The recovery site's roles (compaction, failback, ZImporter, sweeper) carry no such path.
 *
 * What is denied:
 * - deleting any object except a sync's working files (`vpgs/*\/syncs/*`, which Cleanup removes); NotResource keeps
 *   the exception exact (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html);
 * - a PUT of a checkpoint, summary, pack or pack index without If-None-Match: `Null {"s3:if-none-match": "true"}` is
 *   true when the request has no such header (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null),
 *   so a protected role can create them and never overwrite one (a create of a key that exists fails with 412);
 *   Lifeboat sends no multipart uploads, whose parts could carry no If-None-Match;
 * - any write of compaction's inputs: the journal marker (it lists the checkpoints and packs a compaction resumes
 *   deleting) and the release records (they let compaction age out a departed volume's copies);
 * - every change of the bucket's policy, ACLs, versioning, lifecycle, Object Lock, replication, encryption, logging,
 *   ownership or public access block; object retention, legal holds, ACLs and tags; deleting an object version;
 *   bypassing governance retention (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html).
 *   Action names: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { protectedRoleArnPattern } from '../runtime/core/resource-names';

/** Keys under `vpgs/*\/` a protected role may delete: a sync's plans, jobs, launches, progress and results. */
export const PROTECTED_DELETABLE = ['vpgs/*/syncs/*'];
/** Keys a protected role may only create (If-None-Match): checkpoints and their summaries, packs and their indexes. */
export const PROTECTED_CREATE_ONLY = ['vpgs/*/checkpoints/*', 'vpgs/*/packs/*'];
/** Keys a protected role may not write at all: the inputs of compaction's deletes. */
export const PROTECTED_NO_WRITE = ['vpgs/*/journal/*', 'vpgs/*/released/*'];

/** Bucket and object configuration, retention and history: never the protected side's to change. */
export const PROTECTED_NO_CONFIG_ACTIONS = [
  's3:PutBucket*', // Policy, Acl, Versioning, ObjectLockConfiguration, OwnershipControls, PublicAccessBlock, Tagging, Logging, Notification, CORS, Website...
  's3:DeleteBucket*', // the bucket, its policy, website, ownership controls...
  's3:PutLifecycleConfiguration',
  's3:PutReplicationConfiguration',
  's3:PutEncryptionConfiguration',
  's3:PutIntelligentTieringConfiguration',
  's3:PutInventoryConfiguration',
  's3:PutAnalyticsConfiguration',
  's3:PutMetricsConfiguration',
  's3:PutAccelerateConfiguration',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutObjectAcl',
  's3:PutObjectVersionAcl',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersionTagging',
  's3:DeleteObjectVersion',
];

export interface ProtectedSideGuardProps {
  /** The bucket's ARN (a token in a stack, a plain ARN in the docs). */
  readonly bucketArn: string;
  /** The site id whose protected path is denied. */
  readonly siteId: string;
  /** `aws`, `aws-cn`, … or the `AWS::Partition` token. */
  readonly partition: string;
}

/** The Deny statements, in the order docs/security.md lists them. */
export function protectedSideDenyStatements(props: ProtectedSideGuardProps): iam.PolicyStatement[] {
  const objects = (keys: readonly string[]) => keys.map((k) => `${props.bucketArn}/${k}`);
  const protectedSide = { ArnLike: { 'aws:PrincipalArn': protectedRoleArnPattern(props.partition, props.siteId) } };
  const deny = (sid: string, actions: string[], where: { resources?: string[]; notResources?: string[] }, extra: Record<string, unknown> = {}) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions,
      ...where,
      conditions: { ...protectedSide, ...extra },
    });
  return [
    deny('ProtectedSideDeletesOnlySyncWorkingFiles', ['s3:DeleteObject'], { notResources: objects(PROTECTED_DELETABLE) }),
    deny(
      'ProtectedSideNeverOverwritesCheckpointsOrPacks',
      ['s3:PutObject'],
      { resources: objects(PROTECTED_CREATE_ONLY) },
      { Null: { 's3:if-none-match': 'true' } },
    ),
    deny('ProtectedSideNeverWritesCompactionInputs', ['s3:PutObject'], { resources: objects(PROTECTED_NO_WRITE) }),
    deny('ProtectedSideNeverChangesConfigOrHistory', [...PROTECTED_NO_CONFIG_ACTIONS], { resources: [props.bucketArn, `${props.bucketArn}/*`] }),
  ];
}

/** The statements as JSON, for a bucket the config names (store.bucketName), which its owner's policy must carry. */
export function protectedSideDenyJson(bucketName: string, siteId: string, partition = 'aws'): unknown[] {
  return protectedSideDenyStatements({ bucketArn: `arn:${partition}:s3:::${bucketName}`, siteId, partition }).map((s) => s.toStatementJson() as unknown);
}
