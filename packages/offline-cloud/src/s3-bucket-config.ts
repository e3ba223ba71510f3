/**
 * A bucket's configuration that s3rver does not keep: versioning, default encryption, Object Lock and the public
 * access block. Kept on the bucket's record (s3-buckets.ts, persisted with the cloud's state) and answered by the
 * gate after authorization, with AWS's request/response shapes and error codes:
 * - versioning: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html and
 *   API_GetBucketVersioning.html (a bucket never versioned answers an empty configuration; once Object Lock is
 *   on, versioning cannot be suspended: InvalidBucketState, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html);
 * - default encryption: API_PutBucketEncryption.html, API_GetBucketEncryption.html, API_DeleteBucketEncryption.html;
 *   since January 5, 2023 every bucket has SSE-S3 by default and deleting the configuration resets it to SSE-S3
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html);
 * - Object Lock: API_PutObjectLockConfiguration.html, API_GetObjectLockConfiguration.html
 *   (ObjectLockConfigurationNotFoundError when none; enabling it on an existing bucket needs versioning Enabled);
 *   CreateBucket's `x-amz-bucket-object-lock-enabled: true` enables Object Lock and versioning (API_CreateBucket.html);
 * - public access block: API_PutPublicAccessBlock.html, API_GetPublicAccessBlock.html, API_DeletePublicAccessBlock.html
 *   (NoSuchPublicAccessBlockConfiguration when none).
 */
import type { CloudResponse } from './service';
import { s3ErrorXml, xmlEscape } from './s3-compat';

export interface BucketEncryption {
  algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  kmsKeyId?: string;
  bucketKey: boolean;
}

export interface BucketConfig {
  versioning?: 'Enabled' | 'Suspended';
  /** Unset: SSE-S3, every bucket's default since January 2023. */
  encryption?: BucketEncryption;
  objectLock?: { defaultRetention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days?: number; years?: number } };
  publicAccessBlock?: { BlockPublicAcls: boolean; IgnorePublicAcls: boolean; BlockPublicPolicy: boolean; RestrictPublicBuckets: boolean };
}

/** The subresources answered here. */
export const CONFIG_SUBRESOURCES = ['versioning', 'encryption', 'object-lock', 'publicAccessBlock'] as const;

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const XML = { 'content-type': 'application/xml' };

class ConfigError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const malformed = () => new ConfigError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');

function field(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];
}

function ok(body = '', status = 200): CloudResponse {
  return { status, headers: XML, body: body && `<?xml version="1.0" encoding="UTF-8"?>\n${body}` };
}

/** CreateBucket with Object Lock: the lock and versioning are on from the start (API_CreateBucket.html). */
export function configAtCreation(objectLockHeader: string | undefined): BucketConfig {
  return objectLockHeader?.trim().toLowerCase() === 'true' ? { versioning: 'Enabled', objectLock: {} } : {};
}

/**
 * Answers a configuration request (`sub` one of CONFIG_SUBRESOURCES) and applies a change to `config`;
 * undefined for a method the subresource does not have (left to the caller).
 */
export function answerConfig(method: string, sub: string, body: string, config: BucketConfig, bucket: string): CloudResponse | undefined {
  try {
    const run = HANDLERS[`${method} ${sub}`];
    return run?.(body, config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { status: err.status, headers: XML, body: s3ErrorXml(err.code, err.message, { BucketName: bucket }) };
  }
}

const bool = (xml: string, name: string) => field(xml, name)?.toLowerCase() === 'true';

const HANDLERS: Record<string, (body: string, c: BucketConfig) => CloudResponse> = {
  'GET versioning': (_, c) => ok(`<VersioningConfiguration ${NS}>${c.versioning ? `<Status>${c.versioning}</Status>` : ''}</VersioningConfiguration>`),
  'PUT versioning': (body, c) => {
    const status = field(body, 'Status');
    if (!/<VersioningConfiguration[\s>]/.test(body) || (status !== 'Enabled' && status !== 'Suspended')) throw malformed();
    if (status === 'Suspended' && c.objectLock) {
      throw new ConfigError(409, 'InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.');
    }
    c.versioning = status;
    return ok();
  },
  'GET encryption': (_, c) => {
    const e = c.encryption ?? { algorithm: 'AES256', bucketKey: false };
    const key = e.kmsKeyId ? `<KMSMasterKeyID>${xmlEscape(e.kmsKeyId)}</KMSMasterKeyID>` : '';
    return ok(
      `<ServerSideEncryptionConfiguration ${NS}><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${e.algorithm}</SSEAlgorithm>${key}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${e.bucketKey}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
    );
  },
  'PUT encryption': (body, c) => {
    const rules = body.match(/<Rule>/g) ?? [];
    const algorithm = field(body, 'SSEAlgorithm');
    if (rules.length !== 1 || (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse')) throw malformed();
    const kmsKeyId = field(body, 'KMSMasterKeyID');
    if (kmsKeyId && algorithm === 'AES256') {
      throw new ConfigError(400, 'InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse.');
    }
    c.encryption = { algorithm, ...(kmsKeyId ? { kmsKeyId } : {}), bucketKey: bool(body, 'BucketKeyEnabled') };
    return ok();
  },
  'DELETE encryption': (_, c) => {
    delete c.encryption; // back to SSE-S3, not to "none"
    return ok('', 204);
  },
  'GET object-lock': (_, c) => {
    if (!c.objectLock) throw new ConfigError(404, 'ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket');
    const r = c.objectLock.defaultRetention;
    const period = r ? (r.days !== undefined ? `<Days>${r.days}</Days>` : `<Years>${r.years}</Years>`) : '';
    const rule = r ? `<Rule><DefaultRetention><Mode>${r.mode}</Mode>${period}</DefaultRetention></Rule>` : '';
    return ok(`<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`);
  },
  'PUT object-lock': (body, c) => {
    if (!/<ObjectLockConfiguration[\s>]/.test(body) || field(body, 'ObjectLockEnabled') !== 'Enabled') throw malformed();
    if (!c.objectLock && c.versioning !== 'Enabled') {
      throw new ConfigError(409, 'InvalidBucketState', "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration");
    }
    const mode = field(body, 'Mode');
    const days = field(body, 'Days');
    const years = field(body, 'Years');
    let defaultRetention: NonNullable<BucketConfig['objectLock']>['defaultRetention'];
    if (/<DefaultRetention>/.test(body)) {
      const period = Number(days ?? years);
      if ((mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') || (days === undefined) === (years === undefined) || !Number.isInteger(period) || period < 1)
        throw malformed();
      defaultRetention = days !== undefined ? { mode, days: period } : { mode, years: period };
    }
    c.objectLock = defaultRetention ? { defaultRetention } : {};
    c.versioning = 'Enabled';
    return ok();
  },
  'GET publicAccessBlock': (_, c) => {
    const p = c.publicAccessBlock;
    if (!p) throw new ConfigError(404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found');
    const fields = Object.entries(p)
      .map(([k, v]) => `<${k}>${v}</${k}>`)
      .join('');
    return ok(`<PublicAccessBlockConfiguration ${NS}>${fields}</PublicAccessBlockConfiguration>`);
  },
  'PUT publicAccessBlock': (body, c) => {
    if (!/<PublicAccessBlockConfiguration[\s>]/.test(body)) throw malformed();
    // an element left out is false (API_PublicAccessBlockConfiguration.html)
    c.publicAccessBlock = {
      BlockPublicAcls: bool(body, 'BlockPublicAcls'),
      IgnorePublicAcls: bool(body, 'IgnorePublicAcls'),
      BlockPublicPolicy: bool(body, 'BlockPublicPolicy'),
      RestrictPublicBuckets: bool(body, 'RestrictPublicBuckets'),
    };
    return ok();
  },
  'DELETE publicAccessBlock': (_, c) => {
    delete c.publicAccessBlock;
    return ok('', 204);
  },
};
