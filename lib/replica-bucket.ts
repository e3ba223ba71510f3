/**
 * The replica store bucket: created by the site stack (tagged, encrypted, private, versioned, retained, and guarded
 * against the protected side's roles by its policy: lib/replica-bucket-guard.ts), or an existing bucket named in the
 * config, whose policy is its owner's (docs/security.md lists the statements to add).
 */
import { Aws, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { TAG, tagsFor } from '../runtime/core/tags';
import type { StoreConfig } from './config';
import { defaultReplicaBucketName } from '../runtime/core/resource-names';
import type { Location } from './site-placement';
import { protectedSideDenyStatements } from './replica-bucket-guard';

export interface ReplicaBucketProps {
  /** The site id: the Owner tag. */
  readonly siteId: string;
  /** `store` of the config (defaults applied). With bucketName, nothing is created. */
  readonly store: StoreConfig;
}

/** Longest region name today (ap-southeast-2 and kin), for the 63-character bucket name limit. */
const MAX_REGION_LENGTH = 14;

/**
 * The replica bucket's name: store.bucketName, or `lifeboat-<siteId>-<account>-<region>` from the scope's stack.
 * A stack in the bucket's account and region builds the same name from its own pseudo parameters, and one of the
 * protected side from the recovery site's (`at`), so none needs a cross-stack import of the bucket (nor cdk-nag
 * findings that name an export).
 */
export function replicaBucketName(scope: IConstruct, siteId: string, store: StoreConfig, at: Location = {}): string {
  if (store.bucketName) return store.bucketName;
  const longest = defaultReplicaBucketName(siteId, '123456789012', 'x'.repeat(MAX_REGION_LENGTH)).length;
  if (longest > 63) {
    throw new Error(
      `site id "${siteId}" is too long for the default replica bucket name (lifeboat-<siteId>-<account>-<region>, at most 63 characters): use a site id of at most ${siteId.length - (longest - 63)} characters or set store.bucketName`,
    );
  }
  const stack = Stack.of(scope);
  // the protected side names the recovery site's bucket by its account and region (lib/site-placement.ts)
  return defaultReplicaBucketName(siteId, at.account ?? stack.account, at.region ?? stack.region);
}

function tagAsSiteBucket(scope: IConstruct, siteId: string): void {
  for (const [key, value] of Object.entries(tagsFor(siteId, 'site', 'bucket'))) Tags.of(scope).add(key, value);
}

export class ReplicaBucket extends Construct {
  readonly bucket: s3.IBucket;
  /** The bucket's customer managed key, when store.encryption is 'kms'. */
  readonly key?: kms.IKey;

  constructor(scope: Construct, id: string, props: ReplicaBucketProps) {
    super(scope, id);
    const { siteId, store } = props;
    if (store.bucketName) {
      this.bucket = s3.Bucket.fromBucketName(this, 'Bucket', store.bucketName);
      return;
    }

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // Access log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    tagAsSiteBucket(accessLogs, siteId);

    if (store.encryption === 'kms') {
      const key = new kms.Key(this, 'Key', {
        description: `Lifeboat replica store of site ${siteId}`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      // No ZERTO_TAG row exists for keys: mark the owner only.
      Tags.of(key).add(TAG.owner, siteId);
      Tags.of(key).add(TAG.role, 'site');
      this.key = key;
    }

    const lock = store.objectLock;
    const bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: replicaBucketName(this, siteId, store),
      encryption: this.key ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: this.key,
      // Fewer KMS requests per object.
      bucketKeyEnabled: this.key ? true : undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      objectLockEnabled: lock ? true : undefined,
      objectLockDefaultRetention: lock
        ? lock.mode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(lock.days))
          : s3.ObjectLockRetention.governance(Duration.days(lock.days))
        : undefined,
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Rewritten packs and replaced manifests stay recoverable for a week, then stop costing.
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(7), expiredObjectDeleteMarker: true },
      ],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'replica/',
      // DR data is never deleted with a stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    tagAsSiteBucket(bucket, siteId);
    for (const s of protectedSideDenyStatements({ bucketArn: bucket.bucketArn, siteId, partition: Aws.PARTITION })) bucket.addToResourcePolicy(s);
    this.bucket = bucket;
  }
}
