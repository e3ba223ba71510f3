/**
 * The chaos suite: many syncs of a multi-volume VPG through the synthesized state machine on the offline
 * cloud, each under injected faults; after each, the sweeper runs, and the suite checks that every committed
 * checkpoint restores byte for byte, nothing leaked, nothing foreign was touched, and the next sync succeeds.
 * Some runs also fail back (test mode) the latest checkpoint under faults: see chaos-failback.ts.
 */
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { startExecution } from '../../bin/commands/executions';
import type { VolumeImage } from '../../bin/demo/verify';
import { createProtectedInstance, writePattern, type ProtectedInstance } from '../../bin/demo/workload';
import { seededRandom } from '../../local/faults';
import { TAG } from '../../lambda/core/tags';
import { sweeperFunctionName } from '../../lib/sweeper';
import { FaultInjector, planRun, type FaultKind, type RunPlan } from './chaos-faults';
import { CHAOS_SITE, CHAOS_VPG, startChaosSite, type ChaosSite } from './chaos-site';
import { oneFailback } from './chaos-failback';
import { checkpointProblems, foreignTouched, imageOfBlocks, leakedResources, seedForeign } from './chaos-verify';

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
  /** Test failbacks whose recovered VM held the checkpoint byte for byte. */
  failbacksSucceeded: number;
  /** Test failbacks that failed (killed importer, stopped) and left nothing once the sweeper ran. */
  failbacksFailedCleanly: number;
  leakedResources: number;
  lostOrCorruptCheckpoints: number;
  foreignTouched: number;
  /** A fault-free sync after the last run committed and restored. */
  finalSyncSucceeded: boolean;
  /** What went wrong, readable (empty on a clean run). */
  problems: string[];
}

type Outcome = { status: string; checkpointId?: string; cause?: string };

const DEADLINE_MS = 5 * 60_000;

async function waitForEnd(site: ChaosSite, executionArn: string): Promise<Outcome> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const exec = await site.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (exec.status !== 'RUNNING') {
      const out = JSON.parse(exec.output ?? '{}') as { commit?: { checkpointId?: string } };
      return { status: exec.status ?? 'UNKNOWN', checkpointId: out.commit?.checkpointId, cause: exec.cause };
    }
    if (Date.now() > deadline) throw new Error(`${executionArn} still running after ${DEADLINE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the execution once a zSAT is running (resources exist that only the sweeper can now take). */
async function stopMidRead(site: ChaosSite, executionArn: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const found = await site.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.role}`, Values: ['zsat'] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
    if ((found.Reservations ?? []).some((r) => (r.Instances ?? []).length > 0)) {
      await site.sfn.send(new StopExecutionCommand({ executionArn, error: 'Chaos', cause: 'stopped from outside by the chaos suite' }));
      return true;
    }
    const exec = await site.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (exec.status !== 'RUNNING') return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * Until the protected instance runs again and a tag-filtered Describe (as Begin's) sees it under the
 * consistency window the runs use: the restarted cloud treats what it restored as new for that long.
 */
async function untilRunning(site: ChaosSite, instanceId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  site.cloud.faults.consistencyMs = 3000;
  for (;;) {
    const found = await site.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['chaos'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
    const seen = (found.Reservations ?? []).some((r) => (r.Instances ?? []).some((i) => i.InstanceId === instanceId));
    if (seen) {
      site.cloud.faults.consistencyMs = 0;
      return;
    }
    if (Date.now() > deadline) throw new Error(`instance ${instanceId} not running 60 s after the cloud restarted`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the sweeper (grace 0: every execution has ended) until nothing is left or the deadline passes. */
async function sweepUntilClean(site: ChaosSite): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  const store = await site.store();
  for (;;) {
    // as a person would run it by hand; the sweeper raises grace 0 to the configured floor itself
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
  const figures: ChaosFigures = {
    runs: opts.runs, seed: opts.seed, faultsInjected: faults.counts, syncsCommitted: 0, syncsFailedCleanly: 0,
    failbacksSucceeded: 0, failbacksFailedCleanly: 0,
    leakedResources: 0, lostOrCorruptCheckpoints: 0, foreignTouched: 0, finalSyncSucceeded: false, problems: [],
  };
  const committed = new Map<string, VolumeImage[]>();
  try {
    const app: ProtectedInstance = await createProtectedInstance(site.ec2, { tags: { app: 'chaos' }, volumeSizesGiB: [1, 1] });
    const az = (await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [app.instanceId] }))).Reservations![0].Instances![0].Placement!.AvailabilityZone!;
    const foreign = await seedForeign(site.ec2, CHAOS_VPG, app.volumes[0].volumeId, az);
    // the data volumes start blank: only blocks the suite wrote can hold data
    const touched = app.volumes.map(() => new Set<number>());

    const oneSync = async (run: number, plan: RunPlan | null): Promise<Outcome> => {
      for (const [i, volume] of app.volumes.entries()) {
        const wrote = await writePattern(site.url, volume, { seed: `chaos-${opts.seed}-${run}-${i}`, runs: 1, runBlocks: 3, scattered: 2 });
        for (const b of wrote.blocksTouched) touched[i].add(b);
      }
      const images = await Promise.all(app.volumes.map((v, i) => imageOfBlocks(site.url, v, touched[i])));
      const store = await site.store();
      const before = new Set((await store.listCheckpoints(CHAOS_VPG)).map((c) => c.id));
      if (plan?.crashStep) faults.armCrash(plan.crashStep);
      if (plan?.agentKill) faults.armAgentKill();
      if (plan?.apiFaults) faults.apiFaultsOn(opts.seed * 1000 + run);
      const arn = await startExecution(site.sfn, site.syncArn, {}, `chaos${run}`);
      if (plan?.stopExecution && (await stopMidRead(site, arn))) faults.count('stop-execution');
      const outcome = await waitForEnd(site, arn);
      faults.apiFaultsOff();
      faults.disarm();
      await faults.settle();
      // any checkpoint that appeared, whatever the execution's end, must restore this run's images
      for (const c of await store.listCheckpoints(CHAOS_VPG)) if (!before.has(c.id)) committed.set(c.id, images);
      return outcome;
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
      if (outcome.status === 'SUCCEEDED' && outcome.checkpointId) figures.syncsCommitted += 1;
      let left = await sweepUntilClean(site);
      figures.leakedResources += left.length;
      if (left.length) figures.problems.push(`run ${run}: left after the sweeper: ${left.join(', ')}`);
      const problems = outcome.checkpointId ? await checkpointProblems(await site.store(), CHAOS_VPG, outcome.checkpointId, committed.get(outcome.checkpointId) ?? []) : [];
      if (outcome.status !== 'SUCCEEDED' && problems.length === 0) figures.syncsFailedCleanly += 1;
      figures.problems.push(...problems.map((p) => `run ${run}: ${p}`));
      let line = `run ${run + 1}/${opts.runs} ${JSON.stringify(plan)}: ${outcome.status}${outcome.checkpointId ? ` ${outcome.checkpointId}` : ''}${outcome.status === 'SUCCEEDED' ? '' : ` (${(outcome.cause ?? '').slice(0, 160)})`}; leaked ${left.length}`;

      // the latest committed checkpoint (this run's, when it committed) fails back in test mode
      const latest = (await (await site.store()).listCheckpoints(CHAOS_VPG)).at(-1)?.id;
      const images = latest ? committed.get(latest) : undefined;
      if (plan.failback && latest && images) {
        const fb = await oneFailback(site, faults, { run, faultSeed: opts.seed * 1000 + 500 + run, apiFaults: plan.apiFaults, plan: plan.failback, sourceInstanceId: app.instanceId, checkpointId: latest, images });
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

    // the next sync succeeds, with no fault at all
    const final = await oneSync(opts.runs, null);
    figures.finalSyncSucceeded = final.status === 'SUCCEEDED' && final.checkpointId !== undefined;
    if (!figures.finalSyncSucceeded) figures.problems.push(`final sync ${final.status}: ${final.cause ?? ''}`);
    const left = await sweepUntilClean(site);
    figures.leakedResources += left.length;

    // every checkpoint ever committed is still there and restores byte for byte
    const store = await site.store();
    const present = new Set((await store.listCheckpoints(CHAOS_VPG)).map((c) => c.id));
    for (const [id, images] of committed) {
      const problems = present.has(id) ? await checkpointProblems(store, CHAOS_VPG, id, images) : [`${id}: lost`];
      if (problems.length) figures.lostOrCorruptCheckpoints += 1;
      figures.problems.push(...problems);
    }
    const changed = await foreignTouched(site.ec2, foreign);
    figures.foreignTouched = changed.length;
    if (changed.length) figures.problems.push(`foreign resources touched: ${changed.join(', ')}`);
    faults.harvest();
    return figures;
  } finally {
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
    ['failbacks succeeded (recovered byte for byte)', f.failbacksSucceeded],
    ['failbacks failed cleanly', f.failbacksFailedCleanly],
    ['leaked resources (must be 0)', f.leakedResources],
    ['lost or corrupted checkpoints (must be 0)', f.lostOrCorruptCheckpoints],
    ['foreign resources touched (must be 0)', f.foreignTouched],
    ['final fault-free sync', f.finalSyncSucceeded ? 'succeeded' : 'FAILED'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
