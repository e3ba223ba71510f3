/**
 * AWS::S3::Bucket's configuration properties applied as CloudFormation applies them, through S3's own APIs
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html):
 * VersioningConfiguration, BucketEncryption.ServerSideEncryptionConfiguration, ObjectLockEnabled (at creation)
 * with ObjectLockConfiguration, PublicAccessBlockConfiguration.
 */
import {
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';

/** ObjectLockEnabled: true is CreateBucket's ObjectLockEnabledForBucket. */
export function objectLockAtCreation(props: Record<string, unknown>): boolean {
  return props.ObjectLockEnabled === true || props.ObjectLockEnabled === 'true';
}

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function applyBucketConfiguration(s3: S3Client, bucket: string, props: Props): Promise<void> {
  const versioning = props.VersioningConfiguration?.Status;
  if (versioning) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: versioning } }));
  // CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault
  const rules: ServerSideEncryptionRule[] | undefined = props.BucketEncryption?.ServerSideEncryptionConfiguration?.map((r: Props) => ({
    ApplyServerSideEncryptionByDefault: r.ServerSideEncryptionByDefault,
    BucketKeyEnabled: r.BucketKeyEnabled === undefined ? undefined : r.BucketKeyEnabled === true || r.BucketKeyEnabled === 'true',
  }));
  if (rules?.length) {
    await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: rules } }));
  }
  const lock = props.ObjectLockConfiguration;
  if (lock) {
    const retention = lock.Rule?.DefaultRetention;
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: lock.ObjectLockEnabled ?? 'Enabled',
          Rule: retention ? { DefaultRetention: { Mode: retention.Mode, Days: num(retention.Days), Years: num(retention.Years) } } : undefined,
        },
      }),
    );
  }
  const block = props.PublicAccessBlockConfiguration;
  if (block) {
    const flag = (v: unknown) => v === true || v === 'true';
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: flag(block.BlockPublicAcls),
          IgnorePublicAcls: flag(block.IgnorePublicAcls),
          BlockPublicPolicy: flag(block.BlockPublicPolicy),
          RestrictPublicBuckets: flag(block.RestrictPublicBuckets),
        },
      }),
    );
  }
}

const num = (v: unknown) => (v === undefined ? undefined : Number(v));
