/**
 * S3 buckets' regions and owners. Bucket names are global (one s3rver holds every bucket), but each bucket
 * lives in one region and belongs to the account that created it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingBucket.html). The gate answers, before any
 * authorization, what S3 answers before it authorizes:
 * - CreateBucket names its region with LocationConstraint; none means us-east-1, and a request signed for
 *   another region than the constraint's is IllegalLocationConstraintException (400); a name another account
 *   holds is BucketAlreadyExists (409), one the caller holds BucketAlreadyOwnedByYou (409; 200 in us-east-1)
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html);
 * - a request for a bucket signed for (so sent to the endpoint of) another region than the bucket's is a 301
 *   PermanentRedirect with `<Endpoint>` and the `x-amz-bucket-region` header, which the SDK's followRegionRedirects
 *   follows (https://docs.aws.amazon.com/AmazonS3/latest/API/UsingRouting.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). Known difference: for Regions launched
 *   after March 20, 2019 S3 answers 400 instead; the offline cloud answers 301 for all. GetBucketLocation answers from any region
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html);
 * - ListBuckets lists the caller's own buckets only (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html).
 * Who may use a bucket of another account is the authorizer's (its bucket policy: src/iam/s3-authz.ts).
 */
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { RawGate } from './edge';
import type { CloudRequest, CloudResponse } from './service';
import { s3ErrorXml, xmlEscape } from './s3-compat';
import { answerConfig, CONFIG_SUBRESOURCES, configAtCreation, type BucketConfig } from './s3-bucket-config';

export interface BucketRecord {
  region: string;
  owner: string;
  /** ISO time. */
  createdAt: string;
  /** Versioning, encryption, Object Lock, public access block (s3-bucket-config.ts); absent on records from before. */
  config?: BucketConfig;
}

const XML = { 'content-type': 'application/xml' };

type GateResult = ReturnType<RawGate['check']>;

export class BucketDirectory implements RawGate {
  private readonly buckets = new Map<string, BucketRecord>();

  constructor(
    private readonly defaults: { region: string; account: string },
    private readonly now: () => number = Date.now,
  ) {}

  get(bucket: string): BucketRecord | undefined {
    return this.buckets.get(bucket);
  }

  /** Buckets already on disk that no record names (a data dir from before regions): the default account's. */
  adopt(s3Directory: string): void {
    if (!fs.existsSync(s3Directory)) return;
    for (const e of fs.readdirSync(s3Directory, { withFileTypes: true })) {
      if (e.isDirectory() && !this.buckets.has(e.name)) {
        this.buckets.set(e.name, { region: this.defaults.region, owner: this.defaults.account, createdAt: new Date(this.now()).toISOString() });
      }
    }
  }

  toJSON(): Record<string, BucketRecord> {
    return Object.fromEntries(this.buckets);
  }

  restore(saved: Record<string, BucketRecord> | undefined): void {
    for (const [name, r] of Object.entries(saved ?? {})) this.buckets.set(name, r);
  }

  /**
   * What S3 answers before authorization, or how to record the request's effect once s3rver has answered
   * (a bucket created or deleted).
   */
  check(req: CloudRequest): GateResult {
    if (req.path === '/' && req.method === 'GET') return { answer: this.listBuckets(req.account) };
    const m = /^\/([^/]+)(\/.*)?$/.exec(req.path);
    if (!m) return {};
    const name = decodeURIComponent(m[1]);
    const record = this.buckets.get(name);
    const isBucketOnly = m[2] === undefined || m[2] === '/';
    if (isBucketOnly && req.method === 'PUT' && [...req.query.keys()].length === 0) return this.createBucket(req, name, record);
    if (!record) return {}; // s3rver answers NoSuchBucket
    if (isBucketOnly && req.method === 'GET' && req.query.has('location')) {
      const constraint = record.region === 'us-east-1' ? '' : xmlEscape(record.region);
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${constraint}</LocationConstraint>`;
      if (record.owner !== req.account) return {}; // another account's: the bucket policy decides (s3:GetBucketLocation)
      return { answer: { status: 200, headers: XML, body } };
    }
    if (req.region !== record.region) {
      // a request at another region's endpoint (the SDK sends it to the endpoint of the region it signs for)
      const message =
        'The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.';
      const headers = { ...XML, 'x-amz-bucket-region': record.region };
      const body = req.method === 'HEAD' ? '' : s3ErrorXml('PermanentRedirect', message, { Bucket: name, Endpoint: `s3.${record.region}.amazonaws.com` });
      return { refusal: { status: 301, headers, body } };
    }
    const sub = isBucketOnly ? CONFIG_SUBRESOURCES.find((s) => req.query.has(s)) : undefined;
    if (sub) {
      // answered only once authorized, so a denied PUT changes nothing
      const config = (record.config ??= {});
      return { answer: () => answerConfig(req.method, sub, req.body.toString('utf8'), config, name) };
    }
    if (isBucketOnly && req.method === 'DELETE' && [...req.query.keys()].length === 0) {
      return { onAnswered: (status) => status === 204 && record.owner === req.account && this.buckets.delete(name) };
    }
    return {};
  }

  /** The account owning a bucket (undefined: no such bucket). */
  ownerOf(bucket: string): string | undefined {
    return this.buckets.get(bucket)?.owner;
  }

  /** CreateBucket's body names its region. */
  /** CreateBucket's body names its region; a configuration PUT's body is the configuration. */
  needsBody(req: IncomingMessage): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'PUT' || !/^\/[^/]+\/?$/.test(url.pathname)) return false;
    return !url.search || CONFIG_SUBRESOURCES.some((s) => url.searchParams.has(s));
  }

  private createBucket(req: CloudRequest, name: string, existing: BucketRecord | undefined): GateResult {
    const constraint = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(req.body.toString('utf8'))?.[1];
    const region = constraint || 'us-east-1';
    const fail = (status: number, code: string, message: string, extra: Record<string, string> = {}): GateResult => ({
      refusal: { status, headers: XML, body: s3ErrorXml(code, message, { BucketName: name, ...extra }) },
    });
    if (constraint === 'us-east-1')
      return fail(400, 'InvalidLocationConstraint', 'The specified location-constraint is not valid', { LocationConstraint: constraint });
    if (region !== req.region) {
      const which = constraint ? `The ${constraint} location constraint` : 'The unspecified location constraint';
      return fail(400, 'IllegalLocationConstraintException', `${which} is incompatible for the region specific endpoint this request was sent to.`);
    }
    if (existing && existing.owner !== req.account) {
      return fail(
        409,
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      );
    }
    if (existing) {
      if (existing.region === 'us-east-1' && region === 'us-east-1') return { answer: { status: 200, headers: { location: `/${name}` }, body: '' } };
      return fail(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.');
    }
    return {
      onAnswered: (status) => {
        if (status !== 200) return;
        const lock = req.headers['x-amz-bucket-object-lock-enabled'];
        const config = configAtCreation(Array.isArray(lock) ? lock[0] : lock);
        this.buckets.set(name, { region, owner: req.account, createdAt: new Date(this.now()).toISOString(), config });
      },
    };
  }

  private listBuckets(account: string): CloudResponse {
    const mine = [...this.buckets].filter(([, r]) => r.owner === account).sort(([a], [b]) => a.localeCompare(b));
    const items = mine
      .map(([n, r]) => `<Bucket><Name>${xmlEscape(n)}</Name><CreationDate>${r.createdAt}</CreationDate><BucketRegion>${r.region}</BucketRegion></Bucket>`)
      .join('');
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${account}</ID><DisplayName>${account}</DisplayName></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`;
    return { status: 200, headers: XML, body };
  }
}
