/**
 * The chaos suite: many syncs of a multi-volume VPG through the synthesized state machine on the offline
 * cloud, each under injected faults and races (chaos-faults.ts, chaos-scenarios.ts); after each, the sweeper
 * runs, and the suite checks that every committed checkpoint restores byte for byte through the product's chain
 * code and through the by-hand restore of docs/store-format.md (chaos-restore.ts), nothing leaked (resources,
 * working files), nothing foreign was touched, and the next sync succeeds. Compaction runs inside the suite
 * (a 1 h journal, aged checkpoints). Some runs also fail back (test mode) the latest checkpoint: chaos-failback.ts.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { startExecution } from '../../bin/commands/executions';
import type { VolumeImage } from '../../bin/demo/verify';
import { createProtectedInstance, writePattern, type ProtectedInstance } from '../../bin/demo/workload';
import { seededRandom } from '@lifeboat/offline-cloud/src/faults';
import { FaultInjector, planRun, type FaultKind, type RunPlan } from './chaos-faults';
import { CHAOS_SITE, CHAOS_VPG, startChaosSite, type ChaosSite } from './chaos-site';
import { oneFailback } from './chaos-failback';
import { IndependentRestore, orphanPacks, workingPrefixes } from './chaos-restore';
import { ageCheckpoints, restartMidExecution, stopMidRead, stopWhenCompacting, sweepDuringSync } from './chaos-scenarios';
import { checkpointProblems, foreignTouched, imageOfBlocks, leakedResources, seedForeign } from './chaos-verify';
import { sweeperFunctionName } from '../../runtime/core/resource-names';

export interface ChaosOptions {
  readonly runs: number;
  readonly seed: number;
  /** One line per run (the CLI prints them; tests collect them). */
  readonly log?: (line: string) => void;
}

/** The figures, with the fixed keys `--json` writes. */
export interface ChaosFigures {
  runs: number;
  seed: number;
  faultsInjected: Record<FaultKind, number>;
  syncsCommitted: number;
  syncsFailedCleanly: number;
  /** Syncs that found the VPG's lease taken and ended at once (the second of two started together, and the like). */
  syncsSkipped: number;
  /** Test failbacks whose recovered VM held the checkpoint byte for byte. */
  failbacksSucceeded: number;
  /** Test failbacks that failed (killed importer, stopped) and left nothing once the sweeper ran. */
  failbacksFailedCleanly: number;
  /** Checkpoints journal compaction dropped, all of them past the journal (aged by the suite). */
  checkpointsCompacted: number;
  leakedResources: number;
  /** syncs/<id>/ and imports/<id>/ prefixes left in the store after the last sweep. */
  leakedWorkingPrefixes: number;
  /** Packs no committed checkpoint references, after the last sync's compaction. */
  orphanPacks: number;
  lostOrCorruptCheckpoints: number;
  foreignTouched: number;
  /** A fault-free sync after the last run committed and restored. */
  finalSyncSucceeded: boolean;
  /** What went wrong, readable (empty on a clean run). */
  problems: string[];
}

type Outcome = { status: string; checkpointId?: string; skipped: boolean; cause?: string };

const DEADLINE_MS = 5 * 60_000;

async function waitForEnd(site: ChaosSite, executionArn: string): Promise<Outcome> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const exec = await site.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (exec.status !== 'RUNNING') {
      const out = JSON.parse(exec.output ?? '{}') as { commit?: { checkpointId?: string }; begin?: { skipped?: boolean } };
      return { status: exec.status ?? 'UNKNOWN', checkpointId: out.commit?.checkpointId, skipped: out.begin?.skipped === true, cause: exec.cause };
    }
    if (Date.now() > deadline) throw new Error(`${executionArn} still running after ${DEADLINE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Until the protected instance runs again and a tag-filtered Describe (as Begin's) sees it under the
 * consistency window the runs use: the restarted cloud treats what it restored as new for that long.
 */
async function untilRunning(site: ChaosSite, instanceId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  site.cloud.faults.consistencyMs = 3000;
  for (;;) {
    const found = await site.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:app', Values: ['chaos'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    const seen = (found.Reservations ?? []).some((r) => (r.Instances ?? []).some((i) => i.InstanceId === instanceId));
    if (seen) {
      site.cloud.faults.consistencyMs = 0;
      return;
    }
    if (Date.now() > deadline) throw new Error(`instance ${instanceId} not running 60 s after the cloud restarted`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the sweeper as a person would by hand (grace 0) until nothing is left or the deadline passes. */
async function sweepUntilClean(site: ChaosSite): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  const store = await site.store();
  for (;;) {
    // the sweeper raises grace 0 to the configured floor itself, and proves each leftover's execution ended
    await site.cloud.sfn.invokeFunction(sweeperFunctionName(CHAOS_SITE), { graceMinutes: 0 });
    const left = await leakedResources(site.ec2, store, CHAOS_SITE, CHAOS_VPG);
    if (left.length === 0 || Date.now() > deadline) return left;
    // a stopped execution's last Lambda may still be finishing a create: the next sweep takes it
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosFigures> {
  const log = opts.log ?? (() => undefined);
  const random = seededRandom(opts.seed);
  const t0 = Date.now();
  const site = await startChaosSite();
  log(`site synthesized and deployed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const faults = new FaultInjector(CHAOS_SITE);
  faults.install(site.cloud);
  site.onStart = (cloud) => faults.install(cloud);
  const restore = new IndependentRestore();
  const figures: ChaosFigures = {
    runs: opts.runs,
    seed: opts.seed,
    faultsInjected: faults.counts,
    syncsCommitted: 0,
    syncsFailedCleanly: 0,
    syncsSkipped: 0,
    failbacksSucceeded: 0,
    failbacksFailedCleanly: 0,
    checkpointsCompacted: 0,
    leakedResources: 0,
    leakedWorkingPrefixes: 0,
    orphanPacks: 0,
    lostOrCorruptCheckpoints: 0,
    foreignTouched: 0,
    finalSyncSucceeded: false,
    problems: [],
  };
  const committed = new Map<string, VolumeImage[]>();
  /** Checkpoints the suite aged past the journal: compaction may drop them. */
  const droppable = new Set<string>();
  try {
    const app: ProtectedInstance = await createProtectedInstance(site.ec2, { tags: { app: 'chaos' }, volumeSizesGiB: [1, 1] });
    // a protected instance exists long before its first sync: not one the consistency fault still hides
    await untilRunning(site, app.instanceId);
    const az = (await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [app.instanceId] }))).Reservations![0].Instances![0].Placement!
      .AvailabilityZone!;
    const foreign = await seedForeign(site.ec2, CHAOS_VPG, app.volumes[0].volumeId, az);
    // the data volumes start blank: only blocks the suite wrote can hold data
    const touched = app.volumes.map(() => new Set<number>());

    /** One run's sync (two, when they race), with its interruption; returns the outcome of the one that mattered. */
    const oneSync = async (run: number, plan: RunPlan | null): Promise<Outcome> => {
      for (const [i, volume] of app.volumes.entries()) {
        // a mid-copy agent kill needs a copy long enough to land in: more blocks that run
        const runBlocks = plan?.agentKill ? 48 : 3;
        const wrote = await writePattern(site.url, volume, { seed: `chaos-${opts.seed}-${run}-${i}`, runs: 1, runBlocks, scattered: 2 });
        for (const b of wrote.blocksTouched) touched[i].add(b);
      }
      const images = await Promise.all(app.volumes.map((v, i) => imageOfBlocks(site.url, v, touched[i])));
      const store = await site.store();
      if (plan?.ageJournal) {
        for (const id of await ageCheckpoints(store, 2)) droppable.add(id);
        faults.count('journal-aged');
      }
      const before = new Set((await store.listCheckpoints(CHAOS_VPG)).map((c) => c.id));
      if (plan?.crashStep) faults.armCrash(plan.crashStep);
      if (plan?.agentKill) faults.armAgentKill();
      if (plan?.apiFaults) faults.apiFaultsOn(opts.seed * 1000 + run);
      // two syncs at once see ListExecutions lag behind: only the lease keeps them apart
      if (plan?.overlap) site.cloud.faults.consistencyMs = 3000;
      // set once the execution starts; the compaction watch reads it earlier (undefined until then), so not a const
      // eslint-disable-next-line prefer-const
      let arn: string | undefined;
      const compaction = plan?.stopDuringCompaction ? stopWhenCompacting(site, () => arn) : null;
      const arns = await Promise.all((plan?.overlap ? [1, 2] : [1]).map((k) => startExecution(site.sfn, site.syncArn, {}, `chaos${run}${k === 2 ? 'b' : ''}`)));
      arn = arns[0];
      if (plan?.overlap) faults.count('overlapping-syncs');
      if (plan?.stopExecution && (await stopMidRead(site, arn))) faults.count('stop-execution');
      if (plan?.sweepDuringSync && (await sweepDuringSync(site, arn))) faults.count('sweeper-during-sync');
      if (plan?.restartMidExecution && (await restartMidExecution(site, arn))) {
        faults.count('restart-mid-execution');
        await untilRunning(site, app.instanceId);
      }
      let outcomes = await Promise.all(arns.map((a) => waitForEnd(site, a)));
      if (compaction && (await Promise.race([compaction.stopped, Promise.resolve(false)]))) {
        faults.count('stop-during-compaction');
        // the next sync at once, while the stopped compaction's Lambda may still run: the lease holds it off
        const next = await startExecution(site.sfn, site.syncArn, {}, `chaos${run}c`);
        outcomes = [...outcomes, await waitForEnd(site, next)];
      }
      compaction?.disarm();
      faults.apiFaultsOff();
      faults.disarm();
      await faults.settle();
      // any checkpoint that appeared, whatever the executions' end, must restore this run's images
      for (const c of await store.listCheckpoints(CHAOS_VPG)) if (!before.has(c.id)) committed.set(c.id, images);
      if (outcomes.filter((o) => o.checkpointId).length > 1 && plan?.overlap) figures.problems.push(`run ${run}: both syncs started together committed`);
      // what the run amounts to: a commit if any committed, else a failure if any failed, else a skip
      return outcomes.find((o) => o.checkpointId) ?? outcomes.find((o) => !o.skipped) ?? outcomes[0];
    };

    for (let run = 0; run < opts.runs; run++) {
      const plan = planRun(run, random);
      const started = Date.now();
      if (plan.restartBefore) {
        await site.restart();
        faults.count('restart');
        // between executions: the cloud is back once the protected instance runs again (it boots anew)
        await untilRunning(site, app.instanceId);
      }
      const outcome = await oneSync(run, plan);
      if (outcome.checkpointId) figures.syncsCommitted += 1;
      let left = await sweepUntilClean(site);
      figures.leakedResources += left.length;
      if (left.length) figures.problems.push(`run ${run}: left after the sweeper: ${left.join(', ')}`);
      const problems = outcome.checkpointId
        ? await checkpointProblems(await site.store(), CHAOS_VPG, outcome.checkpointId, committed.get(outcome.checkpointId) ?? [])
        : [];
      if (!outcome.checkpointId && outcome.skipped) figures.syncsSkipped += 1;
      else if (!outcome.checkpointId && problems.length === 0) figures.syncsFailedCleanly += 1;
      figures.problems.push(...problems.map((p) => `run ${run}: ${p}`));
      const shown = outcome.checkpointId
        ? ` ${outcome.checkpointId}`
        : outcome.skipped
          ? ' (skipped: lease taken)'
          : ` (${(outcome.cause ?? '').slice(0, 160)})`;
      let line = `run ${run + 1}/${opts.runs} ${JSON.stringify(plan)}: ${outcome.status}${shown}; leaked ${left.length}`;

      // the latest committed checkpoint (this run's, when it committed) fails back in test mode
      const latest = (await (await site.store()).listCheckpoints(CHAOS_VPG)).at(-1)?.id;
      const images = latest ? committed.get(latest) : undefined;
      if (plan.failback && latest && images) {
        const fb = await oneFailback(site, faults, {
          run,
          faultSeed: opts.seed * 1000 + 500 + run,
          apiFaults: plan.apiFaults,
          plan: plan.failback,
          sourceInstanceId: app.instanceId,
          checkpointId: latest,
          images,
        });
        left = await sweepUntilClean(site);
        figures.leakedResources += left.length;
        if (left.length) figures.problems.push(`run ${run} failback: left after failback-cleanup and the sweeper: ${left.join(', ')}`);
        figures.problems.push(...fb.problems.map((p) => `run ${run} failback: ${p}`));
        if (fb.status === 'SUCCEEDED' && fb.problems.length === 0) figures.failbacksSucceeded += 1;
        if (fb.status !== 'SUCCEEDED' && fb.problems.length === 0 && left.length === 0) figures.failbacksFailedCleanly += 1;
        line += `; failback of ${latest}: ${fb.status}${fb.status === 'SUCCEEDED' ? '' : ` (${(fb.cause ?? '').slice(0, 160)})`}; leaked ${left.length}`;
      }
      log(`${line}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }

    // the next sync succeeds, with no fault at all (a stopped compaction's lease may make the first try wait)
    let final = await oneSync(opts.runs, null);
    for (let i = 0; i < 10 && final.skipped; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      final = await oneSync(opts.runs, null);
    }
    figures.finalSyncSucceeded = final.status === 'SUCCEEDED' && final.checkpointId !== undefined;
    if (!figures.finalSyncSucceeded) figures.problems.push(`final sync ${final.status}: ${final.cause ?? (final.skipped ? 'skipped' : '')}`);
    const left = await sweepUntilClean(site);
    figures.leakedResources += left.length;

    // every checkpoint ever committed is still there (or was compacted past the journal) and restores byte for byte,
    // by the product's chain code and by hand
    const store = await site.store();
    const present = new Set((await store.listCheckpoints(CHAOS_VPG)).map((c) => c.id));
    const toRestore = new Map<string, VolumeImage[]>();
    for (const [id, images] of committed) {
      if (!present.has(id)) {
        if (droppable.has(id)) figures.checkpointsCompacted += 1;
        else {
          figures.lostOrCorruptCheckpoints += 1;
          figures.problems.push(`${id}: lost`);
        }
        continue;
      }
      const problems = await checkpointProblems(store, CHAOS_VPG, id, images);
      if (problems.length) figures.lostOrCorruptCheckpoints += 1;
      figures.problems.push(...problems);
      toRestore.set(id, images);
    }
    const byHand = await restore.problems(store, CHAOS_VPG, toRestore);
    figures.lostOrCorruptCheckpoints += new Set(byHand.map((p) => p.split(' ')[0])).size;
    figures.problems.push(...byHand);
    const prefixes = await workingPrefixes(store, CHAOS_VPG);
    figures.leakedWorkingPrefixes = prefixes.length;
    if (prefixes.length) figures.problems.push(`working files left: ${prefixes.join(', ')}`);
    const orphans = await orphanPacks(store, CHAOS_VPG);
    figures.orphanPacks = orphans.length;
    if (orphans.length) figures.problems.push(`packs no checkpoint references: ${orphans.join(', ')}`);
    const changed = await foreignTouched(site.ec2, foreign);
    figures.foreignTouched = changed.length;
    if (changed.length) figures.problems.push(`foreign resources touched: ${changed.join(', ')}`);
    faults.harvest();
    return figures;
  } finally {
    restore.close();
    await site.stop();
  }
}

/** The table the CLI prints. */
export function chaosTable(f: ChaosFigures): string {
  const rows: Array<[string, string | number]> = [
    ['runs', f.runs],
    ['seed', f.seed],
    ...Object.entries(f.faultsInjected).map(([k, n]): [string, number] => [`faults injected: ${k}`, n]),
    ['syncs committed', f.syncsCommitted],
    ['syncs failed cleanly', f.syncsFailedCleanly],
    ['syncs skipped (lease taken)', f.syncsSkipped],
    ['failbacks succeeded (recovered byte for byte)', f.failbacksSucceeded],
    ['failbacks failed cleanly', f.failbacksFailedCleanly],
    ['checkpoints compacted (past the journal)', f.checkpointsCompacted],
    ['leaked resources (must be 0)', f.leakedResources],
    ['leaked working prefixes (must be 0)', f.leakedWorkingPrefixes],
    ['orphan packs (must be 0)', f.orphanPacks],
    ['lost or corrupted checkpoints (must be 0)', f.lostOrCorruptCheckpoints],
    ['foreign resources touched (must be 0)', f.foreignTouched],
    ['final fault-free sync', f.finalSyncSucceeded ? 'succeeded' : 'FAILED'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
