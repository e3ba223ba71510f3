/**
 * Figures 3-5, through the real synthesized sync state machine on the offline cloud: incremental
 * efficiency (blocks read ÷ blocks changed; bytes stored ÷ bytes read), orchestration cost per sync
 * (transitions, Lambda invocations, EC2/EBS/S3 requests counted at the cloud's edge) for VPGs of 1, 10
 * and 50 protected instances, and scale-out (a 50-instance VPG's sync with maxZsats 1, 4, 16).
 * Each protected instance has one 1 GiB data volume (written) and its root volume (empty: snapshotted
 * and planned, read by no zSAT).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { SYNC_STATE } from '../../runtime/core/sync/contract';
import { createProtectedInstance, writePattern, type ProtectedInstance } from '../../bin/demo/workload';
import { runSync, type SyncFigures } from '../../bin/demo/run-sync';
import { executionHistory } from '../../bin/demo/inventory';
import { deployTestSite, type TestSite } from '../helpers/site';
import { totalsByService } from '@lifeboat/offline-cloud/src/request-counter';
import { AWS_TIMINGS } from '@lifeboat/offline-cloud/src/aws-timings';
import { awsPollsPerSync, type AwsPolls } from './aws-polls';

export interface SyncCost {
  readonly instances: number;
  readonly zsats: number;
  readonly transitions: number;
  readonly polls: number;
  /** The polls the same sync makes in AWS (aws-polls.ts), per snapshot set and per zSAT. */
  readonly awsPolls: AwsPolls;
  /** `transitions` with the measured poll cycles replaced by AWS's: what Step Functions would bill. */
  readonly transitionsAws: number;
  /** `lambdaInvocations` likewise (each poll is one invocation of the check or poll step). */
  readonly lambdaInvocationsAws: number;
  readonly lambdaInvocations: number;
  readonly requests: Record<string, number>;
  readonly byService: Record<string, number>;
  readonly wallSeconds: number;
  readonly figures: SyncFigures;
}

export interface IncrementalFigures {
  readonly blocksChanged: number;
  readonly blocksRead: number;
  readonly bytesRead: number;
  readonly bytesStored: number;
  readonly syncs: number;
}

/** A poll cycle is Wait → Check/Poll task → Choice: three transitions. */
export const TRANSITIONS_PER_POLL = 3;
/** A zSAT's EBS throughput in AWS (c6i.large's baseline, 1,250 Mbps): how long its read takes there. */
export const ZSAT_READ_MIBS = 156;

/**
 * The offline run's transitions with its poll cycles replaced by the ones AWS's times give. The offline
 * cloud scales its Wait states, but the handlers compute each wait from the real clock, so its own count
 * of polls is not AWS's; everything else in the history does not depend on time.
 */
export function awsTransitions(measured: number, measuredPolls: number, awsPolls: number): number {
  return measured - TRANSITIONS_PER_POLL * measuredPolls + TRANSITIONS_PER_POLL * awsPolls;
}

const VOLUMES_PER_ZSAT = 3;

function siteConfig(siteId: string, sizes: readonly number[], maxZsats: number, volumesPerZsat = VOLUMES_PER_ZSAT) {
  return {
    siteId,
    vpgs: sizes.map((n) => ({ name: `v${n}`, instances: { tags: { bench: `v${n}` } }, syncIntervalMinutes: 1440, journalHours: 24 })),
    agent: { volumesPerZsat, maxZsats },
    // pollSeconds: the default (30 s)
  };
}

/** n protected instances, launched 10 at a time (each waits for its instance to run and its volume to attach). */
async function protect(site: TestSite, n: number): Promise<ProtectedInstance[]> {
  const out: ProtectedInstance[] = [];
  for (let first = 0; first < n; first += 10) {
    const batch = Array.from({ length: Math.min(10, n - first) }, (_, j) => first + j);
    out.push(
      ...(await Promise.all(batch.map((i) => createProtectedInstance(site.ec2, { tags: { bench: `v${n}` }, volumeSizesGiB: [1], name: `bench-v${n}-${i}` })))),
    );
  }
  return out;
}

/**
 * One round of realistic writes on every data volume; returns the blocks changed. From the second round
 * on, one block the previous round wrote is trimmed to zeros (a real change: trimming a block that is
 * already zero would change nothing, and counting it would make the ratio lie).
 */
async function writeRound(site: TestSite, apps: readonly ProtectedInstance[], seed: string, previous: Array<ReadonlySet<number>>): Promise<number> {
  let changed = 0;
  for (const [i, app] of apps.entries()) {
    const trim = previous[i] ? [Math.min(...previous[i])] : [];
    const w = await writePattern(site.url, app.volumes[0], { seed: `${seed}-${i}`, runs: 2, runBlocks: 8, scattered: 4, trim });
    previous[i] = new Set([...w.blocksTouched].filter((b) => !trim.includes(b)));
    changed += w.blocksTouched.size;
  }
  return changed;
}

function diffCounts(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0 && !k.startsWith('states:')) out[k] = v - (before[k] ?? 0);
  return out;
}

interface SyncRun {
  readonly figures: SyncFigures;
  readonly wallSeconds: number;
  /** EC2, EBS and S3 requests at the cloud's edge during the sync. */
  readonly requests: Record<string, number>;
  readonly events: HistoryEvent[];
}

/** One sync through the state machine, with its history and the requests it made. */
async function runMeasuredSync(site: TestSite, vpg: string): Promise<SyncRun> {
  const before = { ...site.cloud.requestCounts };
  const started = Date.now();
  const figures = await runSync(site.sfn, site.syncArn(vpg), `sync ${vpg}`);
  const wallSeconds = (Date.now() - started) / 1000;
  const requests = diffCounts(site.cloud.requestCounts, before);
  return { figures, wallSeconds, requests, events: await executionHistory(site.sfn, figures.executionArn) };
}

const timesEntered = (events: readonly HistoryEvent[], name: string) =>
  events.filter((e) => e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === name).length;

async function measuredSync(site: TestSite, vpg: string, instances: number): Promise<SyncCost> {
  const { figures, wallSeconds, requests, events } = await runMeasuredSync(site, vpg);
  const polls = timesEntered(events, SYNC_STATE.waitSnapshots) + timesEntered(events, SYNC_STATE.waitZsat);
  const zsats = timesEntered(events, SYNC_STATE.spawnZsat);
  const awsPolls = await awsPollsPerSync(zsats > 0 ? figures.bytesRead / zsats / (ZSAT_READ_MIBS * 1024 * 1024) : 0);
  // Each poll cycle is one invocation of the check or poll step.
  const awsPollCount = awsPolls.snapshots + zsats * awsPolls.perZsat;
  return {
    instances,
    zsats,
    transitions: figures.transitions,
    polls,
    awsPolls,
    transitionsAws: awsTransitions(figures.transitions, polls, awsPollCount),
    lambdaInvocationsAws: figures.lambdaInvocations - polls + awsPollCount,
    lambdaInvocations: figures.lambdaInvocations,
    requests,
    byService: totalsByService(requests),
    wallSeconds,
    figures,
  };
}

export interface SyncBench {
  /** Steady-state (incremental) sync cost per VPG size. */
  readonly costs: Record<string, SyncCost>;
  readonly firstSync: Record<string, SyncCost>;
  readonly incremental: IncrementalFigures;
}

export async function benchSyncs(opts: { sizes: readonly number[]; rounds: number; log: (line: string) => void }): Promise<SyncBench> {
  const { sizes, rounds, log } = opts;
  log(`deploying a site with VPGs of ${sizes.join(', ')} instances (synth + deploy)…`);
  // an account whose raised quota holds every VPG's protected instances (t3.micro, 2 vCPUs) and 16 zSATs (2 each)
  const protectedVcpus = 2 * sizes.reduce((a, b) => a + b, 0);
  const site = await deployTestSite(siteConfig('bench', sizes, 16), { vcpuQuota: protectedVcpus + 2 * 16 });
  try {
    const costs: Record<string, SyncCost> = {};
    const firstSync: Record<string, SyncCost> = {};
    let blocksChanged = 0,
      blocksRead = 0,
      bytesRead = 0,
      bytesStored = 0,
      syncs = 0;
    for (const n of sizes) {
      const apps = await protect(site, n);
      const previous: Array<ReadonlySet<number>> = [];
      for (let round = 0; round < rounds; round++) {
        const changed = await writeRound(site, apps, `r${round}`, previous);
        const cost = await measuredSync(site, `v${n}`, n);
        log(
          `  v${n} sync ${round + 1}: ${changed} blocks changed, ${cost.figures.blocksRead} read, ${cost.transitions} transitions (${cost.polls} polls), ${cost.wallSeconds.toFixed(1)} s`,
        );
        blocksChanged += changed;
        blocksRead += cost.figures.blocksRead;
        bytesRead += cost.figures.bytesRead;
        bytesStored += cost.figures.bytesStored;
        syncs++;
        if (round === 0) firstSync[String(n)] = cost;
        costs[String(n)] = cost;
      }
    }
    return { costs, firstSync, incremental: { blocksChanged, blocksRead, bytesRead, bytesStored, syncs } };
  } finally {
    await site.stop();
  }
}

/** The scale-out runs take AWS's times (packages/offline-cloud/src/aws-timings.ts) on a cloud clock this many times faster. */
export const SCALE_OUT_TIME_SCALE = 4;

/** The config default: 50 data volumes make 13 zSAT assignments, so 16 at once is one wave. */
export const SCALE_OUT_VOLUMES_PER_ZSAT = 4;

export interface ScaleOutRun {
  readonly maxZsats: number;
  readonly zsats: number;
  readonly blocks: number;
  /** StartExecution to the end of the execution. */
  readonly syncSeconds: number;
  /** The RunZsats Map state, entered to exited: the part the number of zSATs at once can speed up. */
  readonly zsatPhaseSeconds: number;
}

/** One full first sync of an `instances`-instance VPG with at most `maxZsats` zSATs at once. */
export async function benchScaleOut(opts: { instances: number; maxZsats: number; log: (line: string) => void }): Promise<ScaleOutRun> {
  const site = await deployTestSite(siteConfig(`scale${opts.maxZsats}`, [opts.instances], opts.maxZsats, SCALE_OUT_VOLUMES_PER_ZSAT), {
    timings: AWS_TIMINGS,
    timeScale: SCALE_OUT_TIME_SCALE,
    waitScale: 1,
    // A new account's 5 vCPUs cannot even run this workload (t3.micro, 2 vCPUs each): the bench models an
    // account whose quota AWS raised to hold the protected instances and maxZsats zSATs (c6i.large, 2 each).
    vcpuQuota: 2 * opts.instances + 2 * opts.maxZsats,
  });
  try {
    const apps = await protect(site, opts.instances);
    await writeRound(site, apps, 'r0', []);
    const { figures, events } = await runMeasuredSync(site, `v${opts.instances}`);
    const at = (type: string) =>
      events.find((e) => e.type === type && (e.stateEnteredEventDetails ?? e.stateExitedEventDetails)?.name === SYNC_STATE.runZsats)?.timestamp;
    const entered = at('MapStateEntered'),
      exited = at('MapStateExited');
    if (!entered || !exited) throw new Error(`the sync's history has no ${SYNC_STATE.runZsats} Map state`);
    const run: ScaleOutRun = {
      maxZsats: opts.maxZsats,
      zsats: timesEntered(events, SYNC_STATE.spawnZsat),
      blocks: figures.bytesRead / BLOCK_SIZE,
      syncSeconds: figures.durationMs / 1000,
      zsatPhaseSeconds: (exited.getTime() - entered.getTime()) / 1000,
    };
    opts.log(
      `  maxZsats ${run.maxZsats}: ${run.zsats} zSATs, ${run.blocks} blocks; zSAT phase ${run.zsatPhaseSeconds.toFixed(1)} s, whole sync ${run.syncSeconds.toFixed(1)} s`,
    );
    return run;
  } finally {
    await site.stop();
  }
}
