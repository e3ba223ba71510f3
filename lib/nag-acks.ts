/**
 * The cdk-nag (AwsSolutions) findings Lifeboat accepts, as building blocks: each construct that causes a finding
 * acknowledges it on itself, in its constructor, one finding id at a time, with the reason a reviewer would want
 * (what the wildcard is, and what bounds it: an Owner-tag condition, our own bucket or key, an AWS limit).
 * lib/nag.ts runs the checks.
 */
import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { Location } from './site-placement';
import { executionsArn } from './step-permissions';

export type Ack = { id: string; reason: string };

const ec2 = (region: 'regional' | 'global', kind: string) =>
  `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:${region === 'regional' ? '<AWS::AccountId>' : ''}:${kind}/*]`;

export const DESCRIBE: Ack = {
  id: 'AwsSolutions-IAM5[Resource::*]',
  reason:
    'EC2 Describe* actions support no resource-level permissions; the only actions on "*" are read-only Describe calls (test/lib/security.test.ts proves it)',
};
/** A live failback's stop of the VPG's own instances in the protected region of a split site (lib/site-placement.ts). */
export const STOP_SOURCES_THERE = (region: string): Ack => ({
  id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:<AWS::AccountId>:instance/*]`,
  reason: "a live failback stops the VPG's own protected instances in the protected region, selected by the VPG's selection tags (aws:ResourceTag) only",
});
export const DESTROY_OURS = (kinds: readonly string[]): Ack[] =>
  kinds.map((kind) => ({
    id: ec2(kind === 'snapshot' ? 'global' : 'regional', kind),
    reason: `EC2 ${kind}s are created and deleted at run time, so their ids are unknown at deploy: every create, attach or destroy on them is conditioned on our Owner, VPG, Lifeboat role and ZERTO_TAG (aws:RequestTag / aws:ResourceTag); a live failback's stop, on the VPG's own selection tags`,
  }));
export const RUN_SOURCES = (kinds: readonly string[]): Ack[] =>
  kinds.map((kind) => ({
    id: ec2(kind === 'image' ? 'global' : 'regional', kind),
    reason: `RunInstances authorizes on the ${kind} it launches from, read not changed; the instances it creates must carry our Owner, VPG and role tags`,
  }));
export const NODE_RUNTIME: Ack = {
  id: 'AwsSolutions-L1',
  reason: 'Node.js 22 is the runtime the bundles target and the offline cloud runs them on; moving to a newer runtime is a deliberate, tested upgrade',
};
export const KMS: Ack[] = ['kms:ReEncrypt*', 'kms:GenerateDataKey*'].map((action) => ({
  id: `AwsSolutions-IAM5[Action::${action}]`,
  reason: `CDK's grantEncryptDecrypt on the site's own replica-store key (resource = that key only); ${action} is the action family S3 SSE-KMS uses`,
}));

/**
 * A finding id as cdk-nag may render it in `scope`'s stack: in a stack pinned to a region (a split site,
 * lib/site-placement.ts) an ARN CDK formats has the region literally, one written with `${AWS::Region}` keeps the
 * pseudo parameter, so both spellings are acknowledged there.
 */
function inStack(scope: IConstruct, id: string): string[] {
  const region = Stack.of(scope).region;
  return Token.isUnresolved(region) || !id.includes('<AWS::Region>') ? [id] : [id, id.split('<AWS::Region>').join(region)];
}

export function ack(scope: IConstruct, acks: readonly Ack[]): void {
  Validations.of(scope).acknowledge(...acks.flatMap((a) => inStack(scope, a.id).map((id) => ({ ...a, id }))));
}

/**
 * A resolved value as cdk-nag writes it in a finding id: pseudo parameters as `<AWS::Region>`, attributes as
 * `<LogicalId.Arn>`, joins flattened. Names built from tokens thus give ids that match what `cdk synth` checks.
 */
function nagText(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v?.Ref === 'string') return `<${v.Ref}>`;
  if (Array.isArray(v?.['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(v?.['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(nagText).join(sep);
  }
  throw new Error(`cannot name ${JSON.stringify(value)} as cdk-nag does`);
}

export function resourceId(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${nagText(Stack.of(scope).resolve(resource))}]`;
}

/** Acknowledges each object pattern a role reaches in the store, with what bounds it. */
export function storeAcks(scope: IConstruct, bucket: IBucket, keys: Readonly<Record<string, string>>): Ack[] {
  return Object.entries(keys).map(([key, reason]) => ({ id: resourceId(scope, bucket.arnForObjects(key)), reason }));
}

export const EXECUTIONS = (scope: IConstruct, machine: string, why: string, at: Location = {}): Ack => ({
  id: resourceId(scope, executionsArn(Stack.of(scope), machine, at)),
  reason: `${why}: execution names are made at run time; the state machine (${machine}) is named`,
});

export const RUNTIME_IDS = 'object keys (sync ids, execution ids, pack hashes) are made at run time';

/** lib/kms-permissions.ts without `kms.keyArns`: the account's keys, only through EC2/EBS, CreateGrant only for AWS resources. */
export const EBS_KMS_KEYS: Ack = {
  id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]',
  reason:
    "the protected volumes' keys are the customer's and unknown at deploy (config kms.keyArns names them exactly): use is limited to EC2/EBS on the role's behalf (kms:ViaService), grants to AWS resources (kms:GrantIsForAWSResource), and each key's own policy must still allow it",
};

/** A role reads its own VPG's prefix of the store, nothing of another VPG. */
export function readOwnPrefix(prefix: string): Record<string, string> {
  return { [`${prefix}*`]: `reads (GetObject only) its own VPG's prefix ${prefix} of the store, nothing of another VPG; ${RUNTIME_IDS}` };
}
