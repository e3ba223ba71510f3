/**
 * S3 tells a caller that an object does not exist only if the caller may list the bucket: "If you have the
 * s3:ListBucket permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you don't
 * have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error."
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, and API_HeadObject.html likewise).
 * The s3:ListBucket check is of the bucket itself, with no s3:prefix in the context: a ListBucket granted only under
 * an s3:prefix condition does not count.
 * For a GetObject/HeadObject the caller may not list for, the raw S3 handler's 404 is rewritten to that 403.
 */
import type { ServerResponse } from 'node:http';
import type { CloudRequest } from '../service';
import { escapeXml } from '../ec2/xml';
import { type AuthzCheck } from './evaluate';

/** The ListBucket check that decides between 404 and 403 for an object read, if the request is one. */
export function listCheckForObjectRead(req: CloudRequest, objectChecks: AuthzCheck[]): AuthzCheck | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const read = objectChecks.length === 1 && objectChecks[0].action === 's3:GetObject' ? objectChecks[0] : undefined;
  const m = read && /^arn:aws:s3:::([^/]+)\/.+$/.exec(read.resource);
  return m ? { action: 's3:ListBucket', resource: `arn:aws:s3:::${m[1]}`, context: {}, resourcePolicy: read.resourcePolicy } : undefined;
}

/** Rewrites a 404 answer on `res` to S3's AccessDenied (403); every other answer passes untouched. */
export function answerMissingAsDenied(res: ServerResponse, method: string, message: string): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => ServerResponse;
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  let replaced = false;
  res.writeHead = (status: number, ...rest: unknown[]) => {
    if (status !== 404) return ((res.writeHead = writeHead as typeof res.writeHead), writeHead(status, ...(rest as [Record<string, string>])));
    replaced = true;
    const body =
      method === 'HEAD'
        ? ''
        : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>offline</RequestId><HostId>offline</HostId></Error>`;
    writeHead(403, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
    end(body);
    return res;
  };
  res.write = ((...args: Parameters<typeof write>) => (replaced ? true : write(...args))) as typeof res.write;
  res.end = ((...args: Parameters<typeof end>) => (replaced ? res : end(...args))) as typeof res.end;
}
