/**
 * The edge's authorizer: finds the role a request's access key belongs to (SigV4 Authorization header or
 * X-Amz-Credential), asks the service's mapping which authorizations the request needs, evaluates them
 * (evaluate.ts) and, when one is not allowed, answers with the service's own denial:
 * - EC2: UnauthorizedOperation, HTTP 403, EC2 XML, with an encoded authorization failure message
 *   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html);
 * - S3: AccessDenied, 403, S3 XML (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html);
 * - EBS direct APIs: AccessDeniedException, 403, JSON (https://docs.aws.amazon.com/ebs/latest/APIReference/API_ListSnapshotBlocks.html#API_ListSnapshotBlocks_Errors);
 * - Step Functions: AccessDeniedException, 400, JSON (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html);
 * - IAM: AccessDenied, 403, IAM XML.
 * The message names the principal, action and resource as AWS's access-denied messages do
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 * An access key the registry did not issue is the default account's administrator, and an administrator key acts in its
 * account: nothing is evaluated, except a request for another account's S3 bucket, which that bucket's policy must allow
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies-cross-account-resource-access.html).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { keyOf } from '../account-regions';
import type { Authorizer } from '../edge';
import type { CloudRequest, CloudResponse } from '../service';
import { AwsError } from '../service';
import { renderEbsError } from '../ebs/ebs-errors';
import type { Ec2Service } from '../ec2/index';
import { Query } from '../ec2/query';
import { escapeXml, renderError } from '../ec2/xml';
import { jsonError } from '../sfn/api';
import { ebsChecks } from './ebs-authz';
import { ec2Checks } from './ec2-authz';
import { type AuthzCheck, type Caller, evaluate, sessionArn, type Verdict } from './evaluate';
import { iamChecks } from './iam-api';
import type { IamRegistry } from './registry';
import { s3Checks } from './s3-authz';
import { answerMissingAsDenied, listCheckForObjectRead } from './s3-missing-object';
import { sfnChecks } from './sfn-authz';

const CREDENTIAL = /Credential=([^/,\s]+)\//;

/** The access key id a SigV4 request is signed with. */
export function accessKeyOf(req: { headers: IncomingMessage['headers']; url?: string }): string | undefined {
  const m = CREDENTIAL.exec(String(req.headers.authorization ?? ''));
  if (m) return m[1];
  const cred = new URL(req.url ?? '/', 'http://x').searchParams.get('X-Amz-Credential');
  return cred?.split('/')[0];
}

/** The bucket a path-style S3 URL names ('' for the service root). */
function bucketOfUrl(url: string | undefined): string {
  const first = new URL(url ?? '/', 'http://x').pathname.split('/')[1] ?? '';
  return decodeURIComponent(first);
}

function deniedMessage(role: Caller, v: Verdict): string {
  const { check, result } = v.denied!;
  const crossAccount = check.resourceAccount !== undefined && check.resourceAccount !== role.accountId;
  const why =
    result === 'ExplicitlyDenied'
      ? 'with an explicit deny in a policy'
      : crossAccount
        ? `because no resource-based policy allows the ${check.action} action`
        : `because no identity-based policy allows the ${check.action} action`;
  return `User: ${sessionArn(role)} is not authorized to perform: ${check.action} on resource: ${check.resource} ${why}`;
}

function denial(service: string, req: CloudRequest, message: string, v: Verdict): CloudResponse {
  const requestId = randomUUID();
  switch (service) {
    case 'ec2': {
      // AWS encrypts the decoded message (sts:DecodeAuthorizationMessage); offline it is base64 JSON of the same facts
      const encoded = Buffer.from(JSON.stringify({ allowed: false, explicitDeny: v.denied!.result === 'ExplicitlyDenied', context: v.denied!.check })).toString(
        'base64',
      );
      const body = renderError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${message}. Encoded authorization failure message: ${encoded}`,
        requestId,
      );
      return { status: 403, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body };
    }
    case 's3': {
      const body =
        req.method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId><HostId>offline</HostId></Error>`;
      return { status: 403, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body };
    }
    case 'ebs':
      return renderEbsError(403, 'AccessDeniedException', message);
    case 'states':
      return jsonError(400, 'AccessDeniedException', message);
    default:
      return {
        status: 403,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
  }
}

/** Who owns an S3 bucket (src/s3-buckets.ts); unknown buckets are nobody's. */
export type BucketOwners = (bucket: string) => string | undefined;

export function createAuthorizer(
  iam: IamRegistry,
  ec2: Ec2Service,
  log: (message: string) => void = () => undefined,
  bucketOwner: BucketOwners = () => undefined,
): Authorizer {
  /** A role's session; or, for another account's bucket, the signing account's administrator (the bucket policy decides). */
  const callerOf = (req: { headers: IncomingMessage['headers']; url?: string }, service: string, account: string): Caller | undefined => {
    const key = accessKeyOf(req);
    const role = key ? iam.roleOfAccessKey(key) : undefined;
    if (role) return role;
    if (service !== 's3') return undefined;
    const owner = bucketOwner(bucketOfUrl(req.url));
    return owner !== undefined && owner !== account ? { kind: 'account-admin', accountId: account } : undefined;
  };
  const checksFor = (req: CloudRequest): AuthzCheck[] => {
    switch (req.service) {
      case 'ec2':
        return ec2Checks(Query.parse(req.body, req.query), ec2.store(keyOf(req)).world, req.region, iam);
      case 's3':
        return s3Checks(req, iam, bucketOwner);
      case 'ebs':
        return ebsChecks(req, req.region, (id) => ec2.store(keyOf(req)).world.model.snapshots[id]?.tags);
      case 'states':
        return sfnChecks(req);
      case 'iam':
        return iamChecks(req, iam);
      default:
        return [];
    }
  };
  return {
    evaluates: (req, service, account) => callerOf(req, service, account) !== undefined,
    needsBody: (service, req) => service === 's3' && req.method === 'POST' && new URL(req.url ?? '/', 'http://x').searchParams.has('delete'),
    async authorize(req) {
      const role = callerOf({ headers: req.headers, url: `${req.path}?${req.query.toString()}` }, req.service, req.account);
      if (!role) return undefined;
      let checks: AuthzCheck[];
      try {
        checks = checksFor(req);
      } catch (err) {
        if (err instanceof AwsError && req.service === 'ec2')
          return { status: err.status, headers: { 'content-type': 'text/xml;charset=UTF-8' }, body: renderError(err.code, err.message, randomUUID()) };
        throw err;
      }
      const verdict = await evaluate(iam, role, req.region, checks);
      if (verdict.allowed) return undefined;
      // a person reading the cloud's log sees which role was refused what, and why
      log(`iam: denied ${deniedMessage(role, verdict)} (${verdict.denied!.result})`);
      return denial(req.service, req, deniedMessage(role, verdict), verdict);
    },
    async guard(req, res) {
      const role = req.service === 's3' ? callerOf({ headers: req.headers, url: `${req.path}?${req.query.toString()}` }, req.service, req.account) : undefined;
      const list = role && listCheckForObjectRead(req, s3Checks(req, iam, bucketOwner));
      if (!role || !list) return;
      const verdict = await evaluate(iam, role, req.region, [list]);
      if (!verdict.allowed) answerMissingAsDenied(res, req.method, deniedMessage(role, verdict));
    },
  };
}
