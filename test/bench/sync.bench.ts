/**
 * Figures 3-5, through the real synthesized sync state machine on the offline cloud: incremental
 * efficiency (blocks read ÷ blocks changed; bytes stored ÷ bytes read), orchestration cost per sync
 * (transitions, Lambda invocations, EC2/EBS/S3 requests counted at the cloud's edge) for VPGs of 1, 10
 * and 50 protected instances, and scale-out (a 50-instance VPG's sync with maxZsats 1, 4, 16).
 * Each protected instance has one 1 GiB data volume (written) and its root volume (empty: snapshotted
 * and planned, read by no zSAT).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { BLOCK_SIZE } from '../../lambda/core/agent-job';
import { SYNC_STATE } from '../../lambda/core/sync-contract';
import { createProtectedInstance, writePattern, type ProtectedInstance } from '../../bin/demo/workload';
import { runSync, type SyncFigures } from '../../bin/demo/run-sync';
import { executionHistory } from '../../bin/demo/inventory';
import { deployTestSite, E2E_WAIT_SCALE, type TestSite } from '../helpers/site';
import { totalsByService } from '../../local/request-counter';

export interface SyncCost {
  readonly instances: number;
  readonly zsats: number;
  readonly transitions: number;
  readonly polls: number;
  /** Transitions with the measured poll cycles replaced by the ones AWS durations give (see docs/performance.md). */
  readonly transitionsModeled: number;
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
/** AWS durations at the default 30 s poll: an incremental snapshot set completes within ~2 polls; a zSAT boots, reads a small delta and reports within ~90 s (3 polls). */
export const MODELED_SNAPSHOT_POLLS = 2;
export const MODELED_POLLS_PER_ZSAT = 3;

export function modeledTransitions(measured: number, polls: number, zsats: number): number {
  return measured - TRANSITIONS_PER_POLL * polls + TRANSITIONS_PER_POLL * (MODELED_SNAPSHOT_POLLS + MODELED_POLLS_PER_ZSAT * zsats);
}

const VOLUMES_PER_ZSAT = 3;

function siteConfig(siteId: string, sizes: readonly number[], maxZsats: number) {
  return {
    siteId,
    vpgs: sizes.map((n) => ({ name: `v${n}`, instances: { tags: { bench: `v${n}` } }, syncIntervalMinutes: 1440, journalHours: 24 })),
    agent: { volumesPerZsat: VOLUMES_PER_ZSAT, maxZsats },
    // pollSeconds: the default (30 s)
  };
}

async function protect(site: TestSite, n: number): Promise<ProtectedInstance[]> {
  const out: ProtectedInstance[] = [];
  for (let i = 0; i < n; i++) out.push(await createProtectedInstance(site.ec2, { tags: { bench: `v${n}` }, volumeSizesGiB: [1], name: `bench-v${n}-${i}` }));
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

async function measuredSync(site: TestSite, vpg: string, instances: number): Promise<SyncCost> {
  const before = { ...site.cloud.requestCounts };
  const started = Date.now();
  const figures = await runSync(site.sfn, site.syncArn(vpg), `sync ${vpg}`);
  const wallSeconds = (Date.now() - started) / 1000;
  const requests = diffCounts(site.cloud.requestCounts, before);
  const events: HistoryEvent[] = await executionHistory(site.sfn, figures.executionArn);
  const entered = (name: string) => events.filter((e) => e.type?.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === name).length;
  const polls = entered(SYNC_STATE.waitSnapshots) + entered(SYNC_STATE.waitZsat);
  const zsats = entered(SYNC_STATE.spawnZsat);
  return {
    instances,
    zsats,
    transitions: figures.transitions,
    polls,
    transitionsModeled: modeledTransitions(figures.transitions, polls, zsats),
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
  readonly waitScale: number;
}

export async function benchSyncs(opts: { sizes: readonly number[]; rounds: number; log: (line: string) => void }): Promise<SyncBench> {
  const { sizes, rounds, log } = opts;
  log(`deploying a site with VPGs of ${sizes.join(', ')} instances (synth + deploy)…`);
  const site = await deployTestSite(siteConfig('bench', sizes, 16));
  try {
    const costs: Record<string, SyncCost> = {};
    const firstSync: Record<string, SyncCost> = {};
    let blocksChanged = 0, blocksRead = 0, bytesRead = 0, bytesStored = 0, syncs = 0;
    for (const n of sizes) {
      const apps = await protect(site, n);
      const previous: Array<ReadonlySet<number>> = [];
      for (let round = 0; round < rounds; round++) {
        const changed = await writeRound(site, apps, `r${round}`, previous);
        const cost = await measuredSync(site, `v${n}`, n);
        log(`  v${n} sync ${round + 1}: ${changed} blocks changed, ${cost.figures.blocksRead} read, ${cost.transitions} transitions (${cost.polls} polls), ${cost.wallSeconds.toFixed(1)} s`);
        blocksChanged += changed;
        blocksRead += cost.figures.blocksRead;
        bytesRead += cost.figures.bytesRead;
        bytesStored += cost.figures.bytesStored;
        syncs++;
        if (round === 0) firstSync[String(n)] = cost;
        costs[String(n)] = cost;
      }
    }
    return { costs, firstSync, incremental: { blocksChanged, blocksRead, bytesRead, bytesStored, syncs }, waitScale: E2E_WAIT_SCALE };
  } finally {
    await site.stop();
  }
}

/** Wall time of one full first sync of an `instances`-instance VPG with at most `maxZsats` zSATs at once. */
export async function benchScaleOut(opts: { instances: number; maxZsats: number; log: (line: string) => void }): Promise<SyncCost> {
  const site = await deployTestSite(siteConfig(`scale${opts.maxZsats}`, [opts.instances], opts.maxZsats));
  try {
    const apps = await protect(site, opts.instances);
    await writeRound(site, apps, 'r0', []);
    const cost = await measuredSync(site, `v${opts.instances}`, opts.instances);
    opts.log(`  maxZsats ${opts.maxZsats}: ${cost.zsats} zSATs, ${(cost.figures.bytesRead / BLOCK_SIZE).toFixed(0)} blocks, ${cost.wallSeconds.toFixed(1)} s`);
    return cost;
  } finally {
    await site.stop();
  }
}
