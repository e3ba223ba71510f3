/** A live EC2 emulator behind the offline cloud's edge, talked to through the real @aws-sdk/client-ec2. */
import { CloudClock } from '../../src/clock';
import type { RegionOutages } from '../../src/region-outage';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DEFAULT_FAULTS, OFFLINE_ACCOUNT_ID, type CloudContext, type FaultConfig, type Timings } from '../../src/context';
import { type AwsLimits, DEFAULT_LIMITS } from '../../src/aws-rates';
import { createEdgeHandler, listen, type Listening } from '../../src/edge';
import { createEc2Service, imdsRoute, type Ec2Service } from '../../src/ec2/index';
import { FileVolumeStorage } from '../../src/storage/file-volume-storage';

export const FAST_TIMINGS: Timings = { snapshotMs: 50, volumeMs: 20, instanceMs: 20, bootMs: 0, connectTimeoutMs: 300 };

export interface Ec2Harness {
  ec2: Ec2Service;
  client: EC2Client;
  storage: FileVolumeStorage;
  ctx: CloudContext & { faults: FaultConfig };
  dirty: { count: number };
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  timings?: Partial<Timings>;
  /** Objects a stub S3 serves by path-style GET /bucket/key. */
  s3Objects?: Record<string, string | Buffer>;
  dataDir?: string;
  /** Build the service from an existing one's saved state. */
  restoreFrom?: unknown;
  /** AWS figures to replace (src/aws-rates.ts), e.g. the quota of an account that has raised it. */
  limits?: Partial<AwsLimits>;
  /** An account without a default VPC (`lifeboat cloud --no-default-vpc`). */
  noDefaultVpc?: boolean;
  /** Region outages the service reacts to (the harness's edge itself drops nothing). */
  outages?: RegionOutages;
  /** The cloud clock's scale (src/clock.ts); default 1. */
  timeScale?: number;
}

function stubS3(objects: Record<string, string | Buffer>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const body = objects[key];
    req.resume();
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };
}

export async function startEc2(opts: HarnessOptions = {}): Promise<Ec2Harness> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ec2-'));
  const storage = new FileVolumeStorage(path.join(dataDir, 'volumes'));
  const dirty = { count: 0 };
  let url = '';
  const ctx = {
    dataDir,
    endpoint: () => {
      if (!url) throw new Error('not listening yet');
      return url;
    },
    region: 'us-east-1',
    accountId: OFFLINE_ACCOUNT_ID,
    faults: { ...DEFAULT_FAULTS },
    timings: { ...FAST_TIMINGS, ...opts.timings },
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    clock: new CloudClock({ scale: opts.timeScale }),
    faultCounts: {} as Record<string, number>,
    markDirty: () => void dirty.count++,
    log: () => undefined,
    noDefaultVpc: opts.noDefaultVpc,
    outages: opts.outages,
  };
  ctx.clock.publishTo(dataDir); // the guests' node processes keep the cloud's time
  const ec2 = createEc2Service(ctx, storage);
  if (opts.restoreFrom !== undefined) ec2.restore(opts.restoreFrom);
  const edge = createEdgeHandler({ services: [ec2], routes: [imdsRoute(ec2)], raw: { s3: stubS3(opts.s3Objects ?? {}) } });
  const listening: Listening = await listen(edge);
  url = listening.url;
  const client = new EC2Client({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    ec2,
    client,
    storage,
    ctx,
    dirty,
    url,
    dataDir,
    close: async () => {
      client.destroy();
      ec2.close();
      await listening.close();
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails after the deadline. */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, deadlineMs = 5000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error name the SDK gives a failed call (its typed exception name). */
export async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).name;
  }
  throw new Error('expected the call to fail');
}
