/**
 * A deployed Lifeboat site on a fresh offline cloud, for end-to-end tests: the app is synthesized from a
 * config exactly as `cdk synth` does, deployed by the cloud, and driven through its real state machines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { synthesize } from '../../bin/demo/synth';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { vpgRuntimeOf } from '../../bin/commands/context';
import type { Timings } from '@lifeboat/offline-cloud/src/context';
import type { AwsLimits } from '@lifeboat/offline-cloud/src/aws-rates';
import { startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';
import { failbackStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';

export interface TestSite extends TestCloud {
  readonly siteId: string;
  readonly configPath: string;
  readonly workDir: string;
  syncArn(vpg: string): string;
  failbackArn(vpg: string): string;
  store(vpg: string): Promise<S3ReplicaStore>;
}

/** Waits in the state machines run this much faster than written (a 30 s poll takes 0.3 s). */
export const E2E_WAIT_SCALE = 0.01;

export interface DeployOptions {
  readonly faults?: Record<string, unknown>;
  /** How long the cloud's EC2 resources take to change state (default: the tests' short TEST_TIMINGS). */
  readonly timings?: Partial<Timings>;
  /** Default E2E_WAIT_SCALE. */
  readonly waitScale?: number;
  /** The cloud clock's scale (packages/offline-cloud/src/clock.ts); default 1. */
  readonly timeScale?: number;
  /** The account's On-Demand Standard vCPU quota; default a new account's (packages/offline-cloud/src/aws-rates.ts). */
  readonly vcpuQuota?: number;
  /** AWS figures lowered to reach a rule quickly (never to switch one off): packages/offline-cloud/src/aws-rates.ts. */
  readonly limits?: Partial<AwsLimits>;
  /** An account without a default VPC (as a landing zone leaves it). */
  readonly noDefaultVpc?: boolean;
  /**
   * Runs on the started cloud before the app is synthesized and deployed (a VPC and subnets the config must name);
   * what it answers is merged into the config.
   */
  readonly beforeDeploy?: (cloud: TestCloud) => Promise<Record<string, unknown>>;
}

export async function deployTestSite(config: Record<string, unknown>, opts: DeployOptions = {}): Promise<TestSite> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-e2e-'));
  const configPath = path.join(workDir, 'lifeboat.config.json');
  const assembly = path.join(workDir, 'cdk.out');
  const cloudOptions = {
    faults: opts.faults,
    timings: opts.timings,
    vcpuQuota: opts.vcpuQuota,
    timeScale: opts.timeScale,
    noDefaultVpc: opts.noDefaultVpc,
    limits: opts.limits,
  };
  let t: TestCloud;
  if (opts.beforeDeploy) {
    // the network exists first, then the app that names it is synthesized and deployed, as a user would
    t = await startTestCloud(cloudOptions);
    try {
      config = { ...config, ...(await opts.beforeDeploy(t)) };
      fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
      await synthesize(configPath, assembly);
      await t.cloud.sfn.deployAssembly(assembly);
    } catch (err) {
      await t.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
  } else {
    fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
    await synthesize(configPath, assembly);
    t = await startTestCloud({ assemblyDir: assembly, ...cloudOptions });
  }
  t.cloud.sfn.setWaitScale(opts.waitScale ?? E2E_WAIT_SCALE);
  // the SDK clients inside this test process (store adapters) reach the same cloud
  process.env.AWS_ENDPOINT_URL = t.url;
  const siteId = String(config.siteId);
  const arn = (name: string, region = t.cloud.ctx.region) => `arn:aws:states:${region}:${t.cloud.ctx.accountId}:stateMachine:${name}`;
  // a recovery site elsewhere (config recoverySite) holds the failback state machines
  const recoveryRegion = (config.recoverySite as { region?: string } | undefined)?.region;
  return {
    ...t,
    siteId,
    configPath,
    workDir,
    syncArn: (vpg) => arn(syncStateMachineName(siteId, vpg)),
    failbackArn: (vpg) => arn(failbackStateMachineName(siteId, vpg), recoveryRegion),
    store: async (vpg) => new S3ReplicaStore({ bucket: (await vpgRuntimeOf(t.sfn, arn(syncStateMachineName(siteId, vpg)))).storeBucket }),
    stop: async () => {
      await t.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}
