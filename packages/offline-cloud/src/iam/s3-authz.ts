/**
 * S3 REST requests (path style) → the authorizations they need, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html) and S3's operation →
 * permission table (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html):
 * HeadObject needs s3:GetObject, ListObjects(V2) and HeadBucket s3:ListBucket (with s3:prefix, s3:delimiter,
 * s3:max-keys), DeleteObjects s3:DeleteObject on every key it names, CopyObject s3:GetObject on the source too;
 * conditional writes carry s3:if-none-match / s3:if-match. Which action each subresource, version and header needs:
 * s3-actions.ts. The bucket's policy is the resource policy.
 */
import type { CloudRequest } from '../service';
import { parseDeleteObjects } from '../s3-compat';
import type { AuthzCheck, ContextValues } from './evaluate';
import type { IamRegistry } from './registry';
import { BUCKET_SUBRESOURCES, bypassesGovernance, objectActions } from './s3-actions';

function header(req: CloudRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Keys of the request's headers that S3 offers as condition keys. */
function headerContext(req: CloudRequest): ContextValues {
  const out: ContextValues = {};
  for (const [h, key] of [
    ['if-none-match', 's3:if-none-match'],
    ['if-match', 's3:if-match'],
    ['x-amz-server-side-encryption', 's3:x-amz-server-side-encryption'],
  ]) {
    const v = header(req, h);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** `ownerOf` names the bucket's account: a caller of another account needs both its own policy and the bucket policy. */
export function s3Checks(req: CloudRequest, iam: IamRegistry, ownerOf: (bucket: string) => string | undefined = () => undefined): AuthzCheck[] {
  const m = /^\/([^/]+)(?:\/(.*))?$/.exec(req.path);
  if (!m) return [{ action: 's3:ListAllMyBuckets', resource: '*', context: {} }];
  const bucket = decodeURIComponent(m[1]);
  const key = m[2] ? decodeURIComponent(m[2]) : undefined;
  const resourcePolicy = iam.bucketPolicies.get(bucket);
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const resourceAccount = ownerOf(bucket);
  const check = (action: string, resource: string, context: ContextValues = {}): AuthzCheck => ({
    action: `s3:${action}`,
    resource,
    context,
    resourcePolicy,
    resourceAccount,
  });
  const q = req.query;
  const method = req.method === 'HEAD' ? 'GET' : req.method;

  if (key === undefined || key === '') {
    const sub = Object.keys(BUCKET_SUBRESOURCES[method] ?? {}).find((s) => q.has(s));
    if (sub) return [check(BUCKET_SUBRESOURCES[method][sub], bucketArn)];
    if (method === 'GET') {
      const context: ContextValues = {};
      for (const [param, name] of [
        ['prefix', 's3:prefix'],
        ['delimiter', 's3:delimiter'],
        ['max-keys', 's3:max-keys'],
      ]) {
        const v = q.get(param);
        if (v !== null) context[name] = v;
      }
      return [check('ListBucket', bucketArn, context)];
    }
    // CreateBucket with Object Lock also needs the Object Lock and versioning permissions (API_CreateBucket.html)
    if (method === 'PUT' && header(req, 'x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true') {
      return ['CreateBucket', 'PutBucketObjectLockConfiguration', 'PutBucketVersioning'].map((a) => check(a, bucketArn));
    }
    if (method === 'PUT') return [check('CreateBucket', bucketArn)];
    if (method === 'DELETE') return [check('DeleteBucket', bucketArn)];
    if (method === 'POST' && q.has('delete')) {
      let keys: string[];
      try {
        keys = parseDeleteObjects(req.body.toString('utf8')).objects.map((o) => o.key);
      } catch {
        return []; // malformed: S3 answers MalformedXML itself
      }
      // x-amz-bypass-governance-retention applies to every key it deletes (API_DeleteObjects.html)
      const bypass = bypassesGovernance(req.headers) ? ['BypassGovernanceRetention'] : [];
      return keys.flatMap((k) => ['DeleteObject', ...bypass].map((a) => check(a, `${bucketArn}/${k}`)));
    }
    return [check(`${req.method}Bucket`, bucketArn)];
  }

  const objectArn = `${bucketArn}/${key}`;
  const [own, ...also] = objectActions(method, q, req.headers);
  const checks = [check(own, objectArn, headerContext(req)), ...also.map((a) => check(a, objectArn))];
  const source = method === 'PUT' ? header(req, 'x-amz-copy-source') : undefined;
  if (source) {
    // the source is checked against its own bucket's policy and owner
    const from = decodeURIComponent(source.replace(/^\//, '').split('?')[0]);
    const fromBucket = from.split('/')[0];
    checks.push({
      action: 's3:GetObject',
      resource: `arn:aws:s3:::${from}`,
      context: {},
      resourcePolicy: iam.bucketPolicies.get(fromBucket),
      resourceAccount: ownerOf(fromBucket),
    });
  }
  return checks;
}
