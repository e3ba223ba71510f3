/**
 * The chaos suite's world: a Lifeboat site synthesized from a config and deployed on an offline cloud that
 * keeps its state in a data dir, so the suite can stop and start the cloud between executions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { synthesize } from '../../bin/demo/synth';
import { vpgRuntimeOf } from '../../bin/commands/context';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { makeS3Client } from '../../runtime/aws/s3-client';
import type { S3Client } from '@aws-sdk/client-s3';
import { startCloud, type Cloud } from '@lifeboat/offline-cloud/src/cloud';
import { clientConfig, TEST_TIMINGS } from '@lifeboat/offline-cloud/src/testing';
import { failbackStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';

export const CHAOS_SITE = 'chaos';
export const CHAOS_VPG = 'app';
/** Waits in the state machines run 100x faster than written. */
const WAIT_SCALE = 0.01;

export const CHAOS_CONFIG = {
  siteId: CHAOS_SITE,
  // a 1 h journal (the shortest): the suite ages checkpoints past it so compaction runs inside the suite
  vpgs: [{ name: CHAOS_VPG, instances: { tags: { app: 'chaos' } }, syncIntervalMinutes: 60, journalHours: 1 }],
  // three volumes (root + two data) over two zSATs: several zSATs at once, one of them reading two volumes
  agent: { volumesPerZsat: 2, maxZsats: 3 },
  pollSeconds: 5,
  // the shortest the config allows: a killed agent is noticed after this long (real time)
  heartbeatTimeoutSeconds: 60,
};

export interface ChaosSite {
  cloud: Cloud;
  url: string;
  ec2: EC2Client;
  sfn: SFNClient;
  s3: S3Client;
  readonly syncArn: string;
  readonly failbackArn: string;
  store(): Promise<S3ReplicaStore>;
  /** Stops the cloud (state saved in the data dir) and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Called after every (re)start, e.g. to install hooks on the new cloud. */
  onStart?: (cloud: Cloud) => void;
}

function clients(url: string) {
  // generous retries: the suite's own look-ups ride out the faults it injects
  return {
    ec2: new EC2Client(clientConfig(url, { maxAttempts: 10 })),
    sfn: new SFNClient(clientConfig(url, { maxAttempts: 10 })),
    s3: makeS3Client({ endpoint: url }),
  };
}

export async function startChaosSite(): Promise<ChaosSite> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-chaos-'));
  const configPath = path.join(workDir, 'lifeboat.config.json');
  fs.writeFileSync(configPath, JSON.stringify(CHAOS_CONFIG, null, 2));
  const assemblyDir = path.join(workDir, 'cdk.out');
  const dataDir = path.join(workDir, 'cloud');
  await synthesize(configPath, assemblyDir);

  const open = async (port: number, deploy: boolean) => {
    // An account whose On-Demand vCPU quota AWS raised to hold the suite's workload (2 vCPUs each): the protected
    // instance, the seeded look-alike, a zSAT, a ZImporter and a test failback's recovered VM, with room for the
    // ones still shutting down. A new account's 5 vCPUs would refuse the zSAT in AWS too.
    const cloud = await startCloud({ quiet: true, dataDir, port, timings: TEST_TIMINGS, vcpuQuota: 16, ...(deploy ? { assemblyDir } : {}) });
    cloud.sfn.setWaitScale(WAIT_SCALE);
    // the store adapter in this process reaches the same cloud
    process.env.AWS_ENDPOINT_URL = cloud.url;
    return cloud;
  };
  const cloud = await open(0, true);
  const arn = (name: string) => `arn:aws:states:${cloud.ctx.region}:${cloud.ctx.accountId}:stateMachine:${name}`;
  const site: ChaosSite = {
    cloud,
    url: cloud.url,
    ...clients(cloud.url),
    syncArn: arn(syncStateMachineName(CHAOS_SITE, CHAOS_VPG)),
    failbackArn: arn(failbackStateMachineName(CHAOS_SITE, CHAOS_VPG)),
    store: async () => new S3ReplicaStore({ bucket: (await vpgRuntimeOf(site.sfn, site.syncArn)).storeBucket, client: site.s3 }),
    restart: async () => {
      const port = site.cloud.port;
      await site.cloud.stop();
      for (const c of [site.ec2, site.sfn, site.s3]) c.destroy();
      site.cloud = await open(port, false);
      site.url = site.cloud.url;
      Object.assign(site, clients(site.url));
      site.onStart?.(site.cloud);
    },
    stop: async () => {
      for (const c of [site.ec2, site.sfn, site.s3]) c.destroy();
      await site.cloud.stop();
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
  return site;
}
