/**
 * The offline cloud process: one edge port on 127.0.0.1 serving EC2, EBS direct APIs, KMS, SNS, CloudWatch, Step Functions
 * (Lifeboat's emulators), S3 (s3rver), the IMDS emulation and the /_lifeboat/ control routes, with
 * fault injection in front of the services. With a data dir, its state survives stop + start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEdgeHandler, listen, Listening } from './edge';
import type { CloudContext, FaultConfig, Timings } from './context';
import { DEFAULT_TIMINGS, OFFLINE_ACCOUNT_ID } from './context';
import { CloudClock, type SavedClock } from './clock';
import { type AwsLimits, DEFAULT_LIMITS } from './aws-rates';
import { BucketDirectory, type BucketRecord } from './s3-buckets';
import { RegionOutages, regionsRoute } from './region-outage';
import type { VolumeStorage } from './storage/volume-storage';
import { faultConfig, faultInterceptor } from './faults';
import { countingRaw, requestCounter, type RequestCounts } from './request-counter';
import { cloudControlRoute } from './cloud-routes';
import { CustomResourceResponses } from './assembly/custom-resources';
import { loadState, StateSaver } from './persistence';
import { startS3, S3Emulator } from './s3';
import type { CloudServices } from './cloud-services';
import type { Ec2Service } from './ec2/index';
import type { StepFunctionsService } from './sfn/index';
import type { CloudWatchService } from './cloudwatch/index';
import { IamRegistry, type IamState } from './iam/registry';
import { accessKeyOf, createAuthorizer } from './iam/authorizer';
import { credentialsRoute } from './iam/credentials-route';
import { createIamService } from './iam/iam-api';
import { createServiceQuotasService } from './quotas/index';
import { CloudWatchMetrics } from './cloudwatch/metrics';

export interface CloudOptions {
  /** 0 or unset: any free port. */
  port?: number;
  /** Keep state here across restarts; unset: a fresh temp dir, removed on stop. */
  dataDir?: string;
  faults?: Partial<FaultConfig>;
  timings?: Partial<Timings>;
  /** A `cdk synth` output folder whose state machines are deployed at start. */
  assemblyDir?: string;
  /** The cloud clock's speed (src/clock.ts): one real second is this many AWS seconds; default 1. */
  timeScale?: number;
  /** EventBridge schedules fire (on the cloud clock); default off (a test or the demo starts its own runs). */
  schedules?: boolean;
  /** No log lines at all. */
  quiet?: boolean;
  region?: string;
  /** Running On-Demand Standard instances quota in vCPUs (default: a new account's, src/aws-rates.ts). */
  vcpuQuota?: number;
  /** Other AWS figures to replace (a test lowers one to reach it quickly); vcpuQuota wins over limits.vcpuQuota. */
  limits?: Partial<AwsLimits>;
  /** A hand-moved cloud clock (epoch ms) for a test; default: the real clock times the time scale. */
  now?: () => number;
  /** No default VPC in the account (`lifeboat cloud --no-default-vpc`). */
  noDefaultVpc?: boolean;
}

export interface Cloud {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly ctx: CloudContext;
  readonly ec2: Ec2Service;
  readonly sfn: StepFunctionsService;
  /** CloudWatch's alarms (src/cloudwatch/): a test with a hand-moved clock asks it to evaluate up to now. */
  readonly cloudwatch: CloudWatchService;
  readonly storage: VolumeStorage;
  readonly s3: S3Emulator;
  /** The live fault settings: change fields at run time (or PUT /_lifeboat/faults). */
  readonly faults: FaultConfig;
  readonly faultCounts: Record<string, number>;
  /** Requests received, by "service:Operation" (src/request-counter.ts); reset by clearing the keys. */
  readonly requestCounts: RequestCounts;
  /** Kills a booted instance's agent child process (agent death); false if it has none. */
  killInstanceProcess(id: string): boolean;
  /** Saves state now (no-op without a data dir). */
  save(): void;
  /** Kills child processes, saves state, closes the port; removes a temp data dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startCloud(opts: CloudOptions = {}): Promise<Cloud> {
  const persistent = opts.dataDir !== undefined;
  const dataDir = persistent ? path.resolve(opts.dataDir!) : fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-cloud-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const faults = faultConfig(opts.faults);
  const timings: Timings = { ...DEFAULT_TIMINGS, ...opts.timings };
  const faultCounts: Record<string, number> = {};
  const requestCounts: RequestCounts = {};
  const log = opts.quiet ? () => undefined : (m: string) => process.stderr.write(`[lifeboat cloud] ${m}\n`);
  let url = '';
  let saver: StateSaver | undefined;
  const clock = new CloudClock({ scale: opts.timeScale, manual: opts.now });
  clock.publishTo(dataDir); // the children (Lambda sandboxes, guests, s3rver) read it there
  // every deployed role's policies are evaluated on each request signed with its credentials (src/iam/)
  const iam = new IamRegistry(clock);
  const outages = new RegionOutages();
  const customResources = new CustomResourceResponses();
  const region = opts.region ?? 'us-east-1';
  // what the Lambda functions and Step Functions publish, per account and region, read by the CloudWatch service
  const metrics = new CloudWatchMetrics({ account: OFFLINE_ACCOUNT_ID, region }, clock, log);

  const ctx: CloudContext = {
    dataDir,
    endpoint: () => {
      if (!url) throw new Error('offline cloud: endpoint asked for before the port is listening');
      return url;
    },
    region,
    accountId: OFFLINE_ACCOUNT_ID,
    faults,
    timings,
    limits: { ...DEFAULT_LIMITS, ...opts.limits, ...(opts.vcpuQuota !== undefined ? { vcpuQuota: opts.vcpuQuota } : {}) },
    clock,
    faultCounts,
    markDirty: () => saver?.markDirty(),
    log,
    noDefaultVpc: opts.noDefaultVpc,
    customResources,
    iam,
    outages,
    metrics,
  };

  // S3 loads on its own thread while this one loads the other emulators (each takes about a second)
  const s3Starting = startS3(path.join(dataDir, 's3'), clock.childEnvironment());
  let services: CloudServices;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createServices } = require('./cloud-services') as typeof import('./cloud-services');
    services = createServices(ctx);
  } catch (err) {
    await s3Starting.then(
      (s3) => s3.close(),
      () => undefined,
    );
    throw err;
  }
  const { ec2, sfn, storage } = services;
  const buckets = new BucketDirectory({ region: ctx.region, account: ctx.accountId }, () => clock.now());
  const collect = () => ({
    clock: clock.toJSON(),
    ec2: ec2.toJSON(),
    kms: services.kms.toJSON(),
    sns: services.sns.toJSON(),
    cloudwatch: services.cloudwatch.toJSON(),
    metrics: metrics.toJSON(),
    sfn: sfn.toJSON(),
    iam: iam.toJSON(),
    s3Buckets: buckets.toJSON(),
    outages: outages.toJSON(),
  });
  if (persistent) {
    const saved = loadState(dataDir);
    if (saved) {
      // the clock first (it never goes back), then outages: an instance of a region that is down does not boot on restore
      clock.restore(saved.components.clock as SavedClock | undefined);
      outages.restore(saved.components.outages);
      if (saved.components.ec2 !== undefined) ec2.restore(saved.components.ec2);
      if (saved.components.kms !== undefined) services.kms.restore(saved.components.kms);
      if (saved.components.sns !== undefined) services.sns.restore(saved.components.sns);
      if (saved.components.metrics !== undefined) metrics.restore(saved.components.metrics);
      if (saved.components.cloudwatch !== undefined) services.cloudwatch.restore(saved.components.cloudwatch);
      if (saved.components.sfn !== undefined) sfn.restore(saved.components.sfn);
      if (saved.components.iam !== undefined) iam.restore(saved.components.iam as IamState);
      buckets.restore(saved.components.s3Buckets as Record<string, BucketRecord> | undefined);
      log(`restored state saved at ${saved.savedAt}`);
    }
    saver = new StateSaver(dataDir, collect, (err) => log(`saving state failed: ${String(err)}`));
  }
  buckets.adopt(path.join(dataDir, 's3'));
  if (opts.schedules) sfn.setSchedules(true);

  const s3 = await s3Starting.catch(async (err: unknown) => {
    await closeAll(services);
    throw err;
  });
  const killInstanceProcess = (id: string) => ec2.killInstanceProcess(id);
  const edge = createEdgeHandler({
    now: () => clock.now(),
    services: [ec2, services.ebs, services.kms, services.sns, services.cloudwatch, sfn, createIamService(iam), createServiceQuotasService(ctx)],
    raw: { s3: countingRaw(requestCounts, s3.handler) },
    gates: { s3: buckets },
    // the control route comes first: it owns /_lifeboat/faults and .../kill and hands the rest of /_lifeboat/ to admin
    routes: [
      customResources.route(),
      credentialsRoute(iam, ctx.accountId),
      regionsRoute(outages, () => saver?.markDirty()),
      services.sns.route,
      cloudControlRoute(ctx, killInstanceProcess, services.admin),
      services.imds,
    ],
    interceptors: [requestCounter(requestCounts), faultInterceptor(ctx)],
    authorizer: createAuthorizer(iam, ec2, log, (bucket) => buckets.ownerOf(bucket)),
    unreachable: (region) => outages.isDown(region),
    accountOf: (req) => {
      const key = accessKeyOf(req);
      return key ? iam.accountOfAccessKey(key, ctx.accountId) : ctx.accountId;
    },
  });

  let listening: Listening;
  try {
    listening = await listen(edge, opts.port ?? 0);
  } catch (err) {
    await closeAll(services, s3);
    throw err;
  }
  url = listening.url;
  if (opts.assemblyDir) {
    try {
      await sfn.deployAssembly(path.resolve(opts.assemblyDir));
    } catch (err) {
      await listening.close();
      await closeAll(services, s3);
      throw err;
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await listening.close();
      saver?.close();
      await closeAll(services, s3);
      if (!persistent) fs.rmSync(dataDir, { recursive: true, force: true });
    })());

  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    ctx,
    ec2,
    sfn,
    cloudwatch: services.cloudwatch,
    storage,
    s3,
    faults,
    faultCounts,
    requestCounts,
    killInstanceProcess,
    save: () => saver?.saveNow(),
    stop,
  };
}

async function closeAll(services: CloudServices, s3?: S3Emulator): Promise<void> {
  services.ec2.close();
  services.cloudwatch.close();
  await services.sfn.close();
  await s3?.close();
}
