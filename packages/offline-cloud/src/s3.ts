/**
 * S3 for the offline cloud: the maintained `s3rver` emulator (a Koa app) on an internal 127.0.0.1
 * port in a worker thread (s3rver-thread.js), fronted by a raw edge handler that streams each request
 * through. The front adds only what today's SDK needs and s3rver lacks:
 * - any access key is accepted (done in the thread: s3rver only knows its own dummy key);
 * - `aws-chunked` bodies (SDK streaming uploads with trailing checksums) are decoded;
 * - conditional requests as S3 evaluates them: PUT `If-None-Match: *` / `If-Match: <etag>`, DELETE and
 *   DeleteObjects `If-Match`, GET/HEAD `If-Match`; every object write under a per-key lock; any condition
 *   not evaluated is refused with 501 (s3-conditions.ts, s3-writes.ts);
 * - ListObjectsV2 pagination and unrouted bucket subresources (see s3-compat.ts);
 * - a request naming an object's versionId is 501 NotImplemented (s3rver keeps no versions; it would read or
 *   delete the current object instead).
 * Path-style only: vhost buckets are off, so a 127.0.0.1:PORT or any other Host never misroutes.
 */
import fs from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RawHandler } from './edge';
import { AwsChunkedDecoder, isAwsChunked, remainingContentEncoding } from './aws-chunked';
import { normalizeEtag, planRead, planWrite, preconditionFailed, type S3Failure } from './s3-conditions';
import { bucketOfPath, listV1ToV2Xml, listV2ToV1Query, S3CompatError, s3ErrorXml, unroutedBucketAnswer } from './s3-compat';
import { createWriteFront, sendFailure } from './s3-writes';

export interface S3Emulator {
  /** Mount as the edge's raw 's3' handler. */
  readonly handler: RawHandler;
  /** Where buckets and objects live on disk. */
  readonly directory: string;
  /** Writes of one object holding or waiting for its lock (lets tests line up concurrent writes). */
  queuedWrites(bucket: string, key: string): number;
  close(): Promise<void>;
}

/** Bucket and key of a path-style object URL, URL-decoded; undefined for bucket/service URLs. */
export function objectOf(url: string): { bucket: string; key: string } | undefined {
  const path = new URL(url, 'http://x').pathname;
  const m = /^\/([^/]+)\/(.+)$/.exec(path);
  return m ? { bucket: decodeURIComponent(m[1]), key: decodeURIComponent(m[2]) } : undefined;
}

interface ForwardOptions {
  path?: string;
  rewrite?: (xml: string) => string;
  /** Runs once, with s3rver's status when it answers (before the body), or undefined when it never does. */
  onStatus?: (status: number | undefined) => void;
  /** Checks s3rver's answer before it is passed on; a failure replaces it. */
  accept?: (answer: IncomingMessage) => S3Failure | undefined;
}

const VERSION_NOT_KEPT: S3Failure = {
  status: 501,
  code: 'NotImplemented',
  message: 'A parameter you provided implies functionality that is not implemented (offline cloud: versionId; s3rver keeps no object versions)',
};

/** Path of an object on s3rver's port, each key segment URL-encoded. */
const objectPath = (bucket: string, key: string) => `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Request headers for s3rver: an aws-chunked body arrives decoded, so its framing headers go. s3rver matches
 * a GET's If-None-Match only against the quoted ETag; S3 takes it unquoted too, so the front quotes it.
 */
function upstreamHeaders(req: IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  const noneMatch = req.headers['if-none-match'];
  if ((req.method === 'GET' || req.method === 'HEAD') && noneMatch && noneMatch !== '*' && !noneMatch.includes(',')) {
    headers['if-none-match'] = `"${normalizeEtag(noneMatch)}"`;
  }
  if (!isAwsChunked(req.headers)) return headers;
  const encoding = remainingContentEncoding(req.headers['content-encoding']);
  if (encoding) headers['content-encoding'] = encoding;
  else delete headers['content-encoding'];
  delete headers['transfer-encoding'];
  delete headers['content-length'];
  const decoded = req.headers['x-amz-decoded-content-length'];
  if (decoded) headers['content-length'] = String(decoded);
  return headers;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body = s3ErrorXml(code, message);
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Starts s3rver on its worker thread; resolves with its internal port once it listens. */
function startS3rverThread(directory: string, clockEnvironment: Record<string, string>): Promise<{ port: number; close(): Promise<void> }> {
  // s3rver keeps the cloud's time (clock-preload.js): its RequestTimeTooSkewed check, Date headers and LastModified
  const worker = new Worker(path.join(__dirname, 's3rver-thread.js'), { workerData: { directory }, env: { ...process.env, ...clockEnvironment } });
  const close = async () => {
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (m) => m === 'closed' && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage('close');
    await closed;
    await worker.terminate();
  };
  return new Promise((resolve, reject) => {
    const failed = (err: unknown) => reject(new Error(`offline S3 (s3rver thread) failed to start: ${String(err)}`));
    worker.once('error', failed);
    worker.once('exit', (code) => failed(`exited with code ${code}`));
    worker.once('message', (m: { port: number }) => {
      worker.off('error', failed);
      resolve({ port: m.port, close });
    });
  });
}

/** An unsigned request to s3rver's internal port (it accepts them): its status and ETag. */
function internalRequest(port: number, agent: http.Agent, method: string, pathname: string): Promise<{ status: number; etag?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, etag: res.headers.etag });
    });
    req.on('error', reject);
    req.end();
  });
}

/** `clockEnvironment`: the cloud clock's (CloudClock.childEnvironment); unset, s3rver keeps this machine's time. */
export async function startS3(directory: string, clockEnvironment: Record<string, string> = {}): Promise<S3Emulator> {
  fs.mkdirSync(directory, { recursive: true }); // s3rver's ListBuckets fails on a missing root
  const thread = await startS3rverThread(directory, clockEnvironment);
  const innerPort = thread.port;
  const agent = new http.Agent({ keepAlive: true });

  /** Streams the request to s3rver; `path` overrides the URL, `rewrite` edits a 200 XML answer. */
  const forward = (req: IncomingMessage, res: ServerResponse, opts: ForwardOptions = {}): void => {
    let reported = false;
    const report = (status: number | undefined) => {
      if (!reported) {
        reported = true;
        opts.onStatus?.(status);
      }
    };
    // a client that left while its write waited for the key: there is no body left to send
    if (!req.complete && (req.destroyed || req.socket?.destroyed)) return report(undefined);
    const upstream = http.request(
      { host: '127.0.0.1', port: innerPort, method: req.method, path: opts.path ?? req.url, headers: upstreamHeaders(req), agent },
      (answer) => {
        report(answer.statusCode);
        const failure = opts.accept?.(answer);
        if (failure) {
          answer.resume();
          return sendFailure(req, res, failure);
        }
        if (!opts.rewrite || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = opts.rewrite!(Buffer.concat(chunks).toString('utf8'));
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete headers['transfer-encoding'];
          res.writeHead(200, headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', (err) => {
      report(undefined);
      if (!res.headersSent) s3Error(res, 500, 'InternalError', `offline S3: ${err.message}`);
      else res.destroy(err);
    });
    // a client that goes away mid-request must not leave s3rver waiting on a half-sent body
    req.on('close', () => {
      if (!req.complete) upstream.destroy();
    });
    const body = isAwsChunked(req.headers) ? req.pipe(new AwsChunkedDecoder()) : req;
    body.on('error', (err) => upstream.destroy(err));
    body.pipe(upstream);
  };

  const writes = createWriteFront({
    etagOf: async (bucket, key) => {
      const head = await internalRequest(innerPort, agent, 'HEAD', objectPath(bucket, key));
      if (head.status === 404) return undefined;
      if (head.status !== 200 || !head.etag) throw new Error(`HEAD ${bucket}/${key} answered ${head.status}`);
      return head.etag;
    },
    bucketExists: async (bucket) => (await internalRequest(innerPort, agent, 'HEAD', `/${encodeURIComponent(bucket)}`)).status === 200,
    deleteObject: async (bucket, key) => (await internalRequest(innerPort, agent, 'DELETE', objectPath(bucket, key))).status,
    forward: (req, res, onStatus) => forward(req, res, { onStatus }),
  });

  /** GET/HEAD with If-Match: checked against the ETag of the very answer s3rver gives, so it is atomic. */
  const checkedRead = (req: IncomingMessage, res: ServerResponse, ifMatch: string) =>
    forward(req, res, {
      accept: (answer) => {
        const served = answer.statusCode === 200 || answer.statusCode === 206;
        if (!served || ifMatch.trim() === '*') return undefined;
        return normalizeEtag(String(answer.headers.etag ?? '')) === normalizeEtag(ifMatch) ? undefined : preconditionFailed('If-Match');
      },
    });

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string) => {
    const target = objectOf(req.url ?? '/');
    // s3rver keeps no versions and would act on the current object: a request for one version is refused, never misapplied
    if (target && url.searchParams.has('versionId')) return sendFailure(req, res, VERSION_NOT_KEPT);
    if (method === 'GET' || method === 'HEAD') {
      const read = target ? planRead(req.headers) : undefined;
      if (read?.refuse) return sendFailure(req, res, read.refuse);
      return read?.ifMatch !== undefined ? checkedRead(req, res, read.ifMatch) : forward(req, res);
    }
    const bucket = target?.bucket ?? bucketOfPath(url.pathname);
    const plan = bucket ? planWrite(method, target?.key, url.searchParams, req.headers) : undefined;
    if (!plan || !bucket) return forward(req, res);
    if (plan.kind === 'refuse') return sendFailure(req, res, plan.failure);
    if (plan.kind === 'delete-objects') return writes.deleteObjects(req, res, bucket);
    return writes.write(req, res, bucket, target!.key, plan.kind === 'complete-multipart' ? undefined : plan.condition);
  };

  const handler: RawHandler = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const unrouted = unroutedBucketAnswer(method, url.pathname, url.searchParams);
    if (unrouted) {
      req.resume();
      res.writeHead(unrouted.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(unrouted.xml)) });
      return res.end(unrouted.xml);
    }
    if (method === 'GET' && bucketOfPath(url.pathname)) {
      let v1: URLSearchParams | undefined;
      try {
        v1 = listV2ToV1Query(url.searchParams);
      } catch (err) {
        const e = err as S3CompatError;
        return s3Error(res, e.status, e.code, e.message);
      }
      if (v1) {
        const path = `${url.pathname}?${v1.toString()}`;
        return forward(req, res, { path, rewrite: (xml) => listV1ToV2Xml(xml, url.searchParams) });
      }
    }
    route(req, res, url, method).catch((err: unknown) => {
      if (!res.headersSent) s3Error(res, 500, 'InternalError', `offline S3: ${String(err)}`);
      else res.destroy();
    });
  };

  return {
    handler,
    directory,
    queuedWrites: (bucket, key) => writes.queued(bucket, key),
    close: async () => {
      agent.destroy();
      await thread.close();
    },
  };
}
