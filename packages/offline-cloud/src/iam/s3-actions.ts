/**
 * Which IAM actions an S3 REST request needs, by method, subresource and header, per S3's operation → permission
 * table (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html) and each
 * operation's page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html):
 * - a bucket's configuration subresources each have their own action (`?policy` PutBucketPolicy, `?lifecycle`
 *   PutLifecycleConfiguration, `?object-lock` PutBucketObjectLockConfiguration, ...); a DELETE of some of them
 *   needs the Put action (DeleteBucketLifecycle: s3:PutLifecycleConfiguration);
 * - an object request naming `versionId` acts on that version: s3:GetObjectVersion, s3:DeleteObjectVersion
 *   (API_GetObject.html, API_DeleteObject.html), s3:*VersionAcl / *VersionTagging;
 * - `?retention` and `?legal-hold` are s3:PutObjectRetention / s3:PutObjectLegalHold (API_PutObjectRetention.html,
 *   API_PutObjectLegalHold.html); `x-amz-bypass-governance-retention: true` also needs s3:BypassGovernanceRetention
 *   (API_DeleteObject.html, API_DeleteObjects.html, API_PutObjectRetention.html);
 * - a PutObject (or CreateMultipartUpload) that sets an ACL, tags, a retention or a legal hold in its headers also
 *   needs s3:PutObjectAcl, s3:PutObjectTagging, s3:PutObjectRetention, s3:PutObjectLegalHold (API_PutObject.html).
 */

/** Bucket subresource → action, per method (HEAD as GET). */
export const BUCKET_SUBRESOURCES: Record<string, Record<string, string>> = {
  GET: {
    location: 'GetBucketLocation',
    versioning: 'GetBucketVersioning',
    tagging: 'GetBucketTagging',
    policy: 'GetBucketPolicy',
    policyStatus: 'GetBucketPolicyStatus',
    lifecycle: 'GetLifecycleConfiguration',
    uploads: 'ListBucketMultipartUploads',
    versions: 'ListBucketVersions',
    'object-lock': 'GetBucketObjectLockConfiguration',
    acl: 'GetBucketAcl',
    encryption: 'GetEncryptionConfiguration',
    publicAccessBlock: 'GetBucketPublicAccessBlock',
    cors: 'GetBucketCORS',
    website: 'GetBucketWebsite',
    logging: 'GetBucketLogging',
    notification: 'GetBucketNotification',
    replication: 'GetReplicationConfiguration',
    ownershipControls: 'GetBucketOwnershipControls',
    accelerate: 'GetAccelerateConfiguration',
    requestPayment: 'GetBucketRequestPayment',
    'intelligent-tiering': 'GetIntelligentTieringConfiguration',
    inventory: 'GetInventoryConfiguration',
    analytics: 'GetAnalyticsConfiguration',
    metrics: 'GetMetricsConfiguration',
  },
  PUT: {
    versioning: 'PutBucketVersioning',
    tagging: 'PutBucketTagging',
    policy: 'PutBucketPolicy',
    lifecycle: 'PutLifecycleConfiguration',
    'object-lock': 'PutBucketObjectLockConfiguration',
    acl: 'PutBucketAcl',
    encryption: 'PutEncryptionConfiguration',
    publicAccessBlock: 'PutBucketPublicAccessBlock',
    cors: 'PutBucketCORS',
    website: 'PutBucketWebsite',
    logging: 'PutBucketLogging',
    notification: 'PutBucketNotification',
    replication: 'PutReplicationConfiguration',
    ownershipControls: 'PutBucketOwnershipControls',
    accelerate: 'PutAccelerateConfiguration',
    requestPayment: 'PutBucketRequestPayment',
    'intelligent-tiering': 'PutIntelligentTieringConfiguration',
    inventory: 'PutInventoryConfiguration',
    analytics: 'PutAnalyticsConfiguration',
    metrics: 'PutMetricsConfiguration',
  },
  DELETE: {
    tagging: 'PutBucketTagging',
    policy: 'DeleteBucketPolicy',
    lifecycle: 'PutLifecycleConfiguration',
    encryption: 'PutEncryptionConfiguration',
    publicAccessBlock: 'PutBucketPublicAccessBlock',
    cors: 'PutBucketCORS',
    website: 'DeleteBucketWebsite',
    replication: 'PutReplicationConfiguration',
    ownershipControls: 'PutBucketOwnershipControls',
    'intelligent-tiering': 'PutIntelligentTieringConfiguration',
    inventory: 'PutInventoryConfiguration',
    analytics: 'PutAnalyticsConfiguration',
    metrics: 'PutMetricsConfiguration',
  },
};

type Headers = Record<string, string | string[] | undefined>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

const has = (h: Headers, name: string) => header(h, name) !== undefined;

/** `x-amz-bypass-governance-retention: true` (the SDK's BypassGovernanceRetention). */
export function bypassesGovernance(h: Headers): boolean {
  return header(h, 'x-amz-bypass-governance-retention')?.trim().toLowerCase() === 'true';
}

/** What an object write's headers set beyond the bytes, each needing its own action. */
function writeHeaderActions(h: Headers): string[] {
  const out: string[] = [];
  if (has(h, 'x-amz-acl') || Object.keys(h).some((k) => k.startsWith('x-amz-grant-'))) out.push('PutObjectAcl');
  if (has(h, 'x-amz-tagging')) out.push('PutObjectTagging');
  if (has(h, 'x-amz-object-lock-mode') || has(h, 'x-amz-object-lock-retain-until-date')) out.push('PutObjectRetention');
  if (has(h, 'x-amz-object-lock-legal-hold')) out.push('PutObjectLegalHold');
  return out;
}

/**
 * The actions an object request needs (without the `s3:` prefix), the first being the operation's own (which gets
 * the request's condition keys). `method` is HEAD-as-GET.
 */
export function objectActions(method: string, q: URLSearchParams, h: Headers): string[] {
  const version = q.has('versionId');
  const bypass = bypassesGovernance(h) ? ['BypassGovernanceRetention'] : [];
  if (method === 'GET') {
    if (q.has('acl')) return [version ? 'GetObjectVersionAcl' : 'GetObjectAcl'];
    if (q.has('tagging')) return [version ? 'GetObjectVersionTagging' : 'GetObjectTagging'];
    if (q.has('retention')) return ['GetObjectRetention'];
    if (q.has('legal-hold')) return ['GetObjectLegalHold'];
    if (q.has('attributes')) return [version ? 'GetObjectVersionAttributes' : 'GetObjectAttributes'];
    if (q.has('uploadId')) return ['ListMultipartUploadParts'];
    return [version ? 'GetObjectVersion' : 'GetObject'];
  }
  if (method === 'DELETE') {
    if (q.has('tagging')) return [version ? 'DeleteObjectVersionTagging' : 'DeleteObjectTagging'];
    if (q.has('uploadId')) return ['AbortMultipartUpload'];
    return [version ? 'DeleteObjectVersion' : 'DeleteObject', ...bypass];
  }
  if (method === 'PUT') {
    if (q.has('acl')) return [version ? 'PutObjectVersionAcl' : 'PutObjectAcl'];
    if (q.has('tagging')) return [version ? 'PutObjectVersionTagging' : 'PutObjectTagging'];
    if (q.has('retention')) return ['PutObjectRetention', ...bypass];
    if (q.has('legal-hold')) return ['PutObjectLegalHold'];
    if (q.has('uploadId')) return ['PutObject']; // UploadPart
    return ['PutObject', ...writeHeaderActions(h)];
  }
  if (method === 'POST') {
    if (q.has('restore')) return ['RestoreObject'];
    if (q.has('uploads')) return ['PutObject', ...writeHeaderActions(h)]; // CreateMultipartUpload
    return ['PutObject']; // CompleteMultipartUpload
  }
  return [`${method}Object`];
}
