/**
 * A bucket's settings as S3 keeps and answers them: versioning, default encryption, Object Lock and the public
 * access block. Each subresource's Get/Put/Delete with AWS's shapes and errors; the front of the S3 emulator
 * (s3-buckets.ts) answers them after authorization, since s3rver does not route them.
 * - versioning: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html (never enabled: an
 *   empty configuration; a bucket with Object Lock cannot be suspended: InvalidBucketState);
 * - encryption: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html; every bucket has
 *   SSE-S3 by default since 5 January 2023 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html),
 *   so GetBucketEncryption of a new bucket answers AES256 and DeleteBucketEncryption returns it to that;
 * - Object Lock: enabled at CreateBucket (x-amz-bucket-object-lock-enabled), which enables versioning
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html), or by PutObjectLockConfiguration on
 *   a versioned bucket; none: ObjectLockConfigurationNotFoundError
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html);
 * - public access block: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html (none:
 *   NoSuchPublicAccessBlockConfiguration).
 * Pure: a record in, an answer and the new record out.
 */
import { s3ErrorXml } from './s3-compat';
import type { CloudResponse } from './service';

export interface BucketSettings {
  versioning?: 'Enabled' | 'Suspended';
  encryption?: { algorithm: string; kmsKeyId?: string; bucketKeyEnabled?: boolean };
  objectLock?: { enabled: boolean; mode?: string; days?: number; years?: number };
  publicAccessBlock?: Record<'BlockPublicAcls' | 'IgnorePublicAcls' | 'BlockPublicPolicy' | 'RestrictPublicBuckets', boolean>;
}

export const SETTINGS_SUBRESOURCES = ['versioning', 'encryption', 'object-lock', 'publicAccessBlock'] as const;
export type SettingsSubresource = (typeof SETTINGS_SUBRESOURCES)[number];

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const XML = { 'content-type': 'application/xml' };
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const ok = (body = ''): CloudResponse => ({ status: body ? 200 : 204, headers: XML, body: body ? DECL + body : '' });
const fail = (status: number, code: string, message: string, bucket: string): CloudResponse => ({ status, headers: XML, body: s3ErrorXml(code, message, { BucketName: bucket }) });
const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const malformed = (bucket: string) => fail(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', bucket);

export interface SettingsResult {
  response: CloudResponse;
  /** The settings after the request (unchanged for reads and refusals). */
  settings: BucketSettings;
}

export function answerSettings(method: string, sub: SettingsSubresource, bucket: string, current: BucketSettings, body: string): SettingsResult {
  const same = (response: CloudResponse): SettingsResult => ({ response, settings: current });
  const set = (settings: BucketSettings, response: CloudResponse = ok()): SettingsResult => ({ response: method === 'PUT' && response.status === 204 ? { ...response, status: 200 } : response, settings });
  switch (`${method} ${sub}`) {
    case 'GET versioning':
      return same(ok(`<VersioningConfiguration ${NS}>${current.versioning ? `<Status>${current.versioning}</Status>` : ''}</VersioningConfiguration>`));
    case 'PUT versioning': {
      const status = tag(body, 'Status');
      if (status !== 'Enabled' && status !== 'Suspended') return same(malformed(bucket));
      if (status === 'Suspended' && current.objectLock?.enabled) {
        return same(fail(409, 'InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.', bucket));
      }
      return set({ ...current, versioning: status });
    }
    case 'GET encryption': {
      const e = current.encryption ?? { algorithm: 'AES256', bucketKeyEnabled: false };
      const key = e.kmsKeyId ? `<KMSMasterKeyID>${e.kmsKeyId}</KMSMasterKeyID>` : '';
      return same(ok(`<ServerSideEncryptionConfiguration ${NS}><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>${e.algorithm}</SSEAlgorithm>${key}</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>${e.bucketKeyEnabled === true}</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`));
    }
    case 'PUT encryption': {
      const algorithm = tag(body, 'SSEAlgorithm');
      if (!algorithm || !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algorithm)) return same(malformed(bucket));
      const kmsKeyId = tag(body, 'KMSMasterKeyID');
      if (kmsKeyId && algorithm === 'AES256') return same(fail(400, 'InvalidArgument', 'a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse', bucket));
      return set({ ...current, encryption: { algorithm, ...(kmsKeyId ? { kmsKeyId } : {}), bucketKeyEnabled: tag(body, 'BucketKeyEnabled') === 'true' } });
    }
    case 'DELETE encryption':
      return set({ ...current, encryption: undefined });
    case 'GET object-lock': {
      const lock = current.objectLock;
      if (!lock?.enabled) return same(fail(404, 'ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', bucket));
      const period = lock.days !== undefined ? `<Days>${lock.days}</Days>` : lock.years !== undefined ? `<Years>${lock.years}</Years>` : '';
      const rule = lock.mode ? `<Rule><DefaultRetention><Mode>${lock.mode}</Mode>${period}</DefaultRetention></Rule>` : '';
      return same(ok(`<ObjectLockConfiguration ${NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`));
    }
    case 'PUT object-lock': {
      if (tag(body, 'ObjectLockEnabled') !== 'Enabled') return same(malformed(bucket));
      if (!current.objectLock?.enabled && current.versioning !== 'Enabled') {
        return same(fail(409, 'InvalidBucketState', 'Versioning must be \'Enabled\' on the bucket to apply a Object Lock configuration', bucket));
      }
      const mode = tag(body, 'Mode');
      const days = tag(body, 'Days');
      const years = tag(body, 'Years');
      if (mode && mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') return same(malformed(bucket));
      if (mode && (days === undefined) === (years === undefined)) return same(malformed(bucket));
      return set({ ...current, versioning: 'Enabled', objectLock: { enabled: true, ...(mode ? { mode } : {}), ...(days ? { days: Number(days) } : {}), ...(years ? { years: Number(years) } : {}) } });
    }
    case 'GET publicAccessBlock': {
      const block = current.publicAccessBlock;
      if (!block) return same(fail(404, 'NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', bucket));
      const fields = Object.entries(block).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
      return same(ok(`<PublicAccessBlockConfiguration ${NS}>${fields}</PublicAccessBlockConfiguration>`));
    }
    case 'PUT publicAccessBlock': {
      const flag = (name: string) => tag(body, name) === 'true';
      return set({ ...current, publicAccessBlock: { BlockPublicAcls: flag('BlockPublicAcls'), IgnorePublicAcls: flag('IgnorePublicAcls'), BlockPublicPolicy: flag('BlockPublicPolicy'), RestrictPublicBuckets: flag('RestrictPublicBuckets') } });
    }
    case 'DELETE publicAccessBlock':
      return set({ ...current, publicAccessBlock: undefined });
    default:
      return same(fail(405, 'MethodNotAllowed', `The specified method is not allowed against this resource.`, bucket));
  }
}
