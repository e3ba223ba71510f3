/**
 * An AWS::S3::Bucket's settings applied as CloudFormation applies them, through S3's own API: Object Lock at
 * creation (ObjectLockEnabled), then VersioningConfiguration, BucketEncryption, ObjectLockConfiguration and
 * PublicAccessBlockConfiguration (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html).
 */
import {
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';

type Props = Record<string, unknown>;

export const objectLockAtCreation = (props: Props): boolean => props.ObjectLockEnabled === true || props.ObjectLockEnabled === 'true';

export async function applyBucketSettings(s3: S3Client, bucket: string, props: Props): Promise<void> {
  const versioning = props.VersioningConfiguration as { Status?: 'Enabled' | 'Suspended' } | undefined;
  if (versioning?.Status) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: versioning.Status } }));
  // CloudFormation spells the rule's default ServerSideEncryptionByDefault; the API, ApplyServerSideEncryptionByDefault
  type CfnRule = { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string }; BucketKeyEnabled?: boolean | string };
  const rules = (props.BucketEncryption as { ServerSideEncryptionConfiguration?: CfnRule[] } | undefined)?.ServerSideEncryptionConfiguration;
  if (rules?.length) {
    const Rules = rules.map((r) => ({
      ApplyServerSideEncryptionByDefault: r.ServerSideEncryptionByDefault as NonNullable<ServerSideEncryptionConfiguration['Rules']>[number]['ApplyServerSideEncryptionByDefault'],
      BucketKeyEnabled: r.BucketKeyEnabled === true || r.BucketKeyEnabled === 'true',
    }));
    await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules } }));
  }
  const lock = props.ObjectLockConfiguration as { ObjectLockEnabled?: 'Enabled'; Rule?: { DefaultRetention?: { Mode?: 'GOVERNANCE' | 'COMPLIANCE'; Days?: number; Years?: number } } } | undefined;
  if (lock) {
    const retention = lock.Rule?.DefaultRetention;
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          ...(retention ? { Rule: { DefaultRetention: { Mode: retention.Mode, ...(retention.Days ? { Days: Number(retention.Days) } : {}), ...(retention.Years ? { Years: Number(retention.Years) } : {}) } } } : {}),
        },
      }),
    );
  }
  const block = props.PublicAccessBlockConfiguration as Record<string, unknown> | undefined;
  if (block) {
    const flag = (k: string) => block[k] === true || block[k] === 'true';
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: flag('BlockPublicAcls'), IgnorePublicAcls: flag('IgnorePublicAcls'), BlockPublicPolicy: flag('BlockPublicPolicy'), RestrictPublicBuckets: flag('RestrictPublicBuckets') },
      }),
    );
  }
}
