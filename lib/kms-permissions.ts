/**
 * What a role needs to use customer managed KMS keys for EBS, exactly as AWS documents it
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html): kms:CreateGrant only for AWS
 * resources (kms:GrantIsForAWSResource), kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext and
 * kms:ReEncrypt*, each only through EC2 in this region (kms:ViaService ec2.REGION.amazonaws.com,
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service) and, for the
 * sync's EBS direct reads of encrypted snapshots, kms:Decrypt through the EBS direct APIs (ebs.REGION.amazonaws.com).
 * Resources: the keys the config names (`kms.keyArns`), else every key of this account in this region. A key's own
 * policy must still let these roles in, or delegate to IAM (docs/kms.md has the statement to add).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

export interface EbsKmsOptions {
  /** The config's `kms.keyArns`; unset: every key of the account in the stack's region. */
  readonly keyArns?: readonly string[];
  /** The role reads encrypted snapshots through the EBS direct APIs too (the sync's Plan). */
  readonly ebsDirectReads?: boolean;
}

/** The key ARNs a role may use: the configured ones, or `arn:aws:kms:REGION:ACCOUNT:key/*`. */
function keyResources(stack: Stack, keyArns: readonly string[] | undefined): string[] {
  return keyArns && keyArns.length > 0 ? [...keyArns] : [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })];
}

/** The two statements of EBS encryption for one role (fresh objects: a statement added to a policy is frozen). */
export function ebsKmsStatements(stack: Stack, options: EbsKmsOptions = {}): iam.PolicyStatement[] {
  const resources = keyResources(stack, options.keyArns);
  const ec2 = `ec2.${stack.region}.amazonaws.com`;
  const via = options.ebsDirectReads ? [ec2, `ebs.${stack.region}.amazonaws.com`] : [ec2];
  return [
    new iam.PolicyStatement({
      sid: 'EbsKmsUse',
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncrypt*'],
      resources,
      conditions: { StringEquals: { 'kms:ViaService': via } },
    }),
    new iam.PolicyStatement({
      sid: 'EbsKmsGrant',
      actions: ['kms:CreateGrant'],
      resources,
      conditions: { StringEquals: { 'kms:ViaService': ec2 }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  ];
}
