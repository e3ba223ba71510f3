/**
 * One sweep of a site: list what carries our Owner, learn which executions run and which snapshots committed
 * checkpoints reference, select (pure, sweeper-selection.ts), then delete through the guarded cleanup (tags
 * re-checked right before each call) and log every deletion as one JSON line. Any doubt about what is in use
 * (a listing that fails) aborts the sweep before anything is deleted.
 */
import { z } from 'zod';
import type { CleanupSelection } from './cleanup-selection';
import { NotFound } from './errors';
import { deriveSyncId, executionName } from './sync-ids';
import { carryOutCleanup } from './sync/guarded-cleanup';
import type { StepDeps } from './sync/step-deps';
import { selectForSweep, type Kept } from './sweeper-selection';
import { TAG } from './tags';

/** The scheduled event (the rule's fixed input); a hand-made invoke may override dryRun and graceMinutes. */
export const sweeperInputSchema = z.looseObject({
  graceMinutes: z.number().min(0).max(7 * 24 * 60).default(120),
  dryRun: z.boolean().default(false),
  /** Sync and failback state machines of the site: their running executions own what they made. */
  stateMachineArns: z.array(z.string().min(1)).default([]),
  /** VPGs of the site, whose committed checkpoints keep their snapshots. */
  vpgs: z.array(z.string().min(1)).default([]),
});
export type SweeperInput = z.output<typeof sweeperInputSchema>;

export interface SweepReport {
  readonly dryRun: boolean;
  /** What was deleted (or, in a dry run, would be), by VPG. */
  readonly selected: Readonly<Record<string, CleanupSelection>>;
  readonly deleted: { readonly instances: string[]; readonly volumes: string[]; readonly snapshots: string[] };
  readonly kept: readonly Kept[];
  readonly refused: ReadonlyArray<{ id: string; reason: string }>;
  readonly errors: readonly string[];
}

/** How long the sweeper waits for a terminated worker to let go of its volumes (the next sweep takes the rest). */
const SWEEP_DETACH_WAIT_SECONDS = 60;

async function activeIds(deps: StepDeps, stateMachineArns: readonly string[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const arn of stateMachineArns) {
    let running;
    try {
      running = await deps.executions.listRunning(arn);
    } catch (err) {
      if (err instanceof NotFound) continue; // a state machine not deployed (yet) runs nothing
      throw err;
    }
    for (const e of running) for (const id of [e.executionArn, executionName(e.executionArn), deriveSyncId(e.executionArn)]) ids.add(id);
  }
  return ids;
}

/**
 * The bases: each VPG's latest committed checkpoint's snapshots (the next sync diffs against them). Older
 * checkpoints' snapshots are superseded (a restore reads the store, not snapshots): a Cleanup that failed
 * after its Commit leaves them, and the sweeper takes them.
 */
async function baseSnapshots(deps: StepDeps, vpgs: Iterable<string>): Promise<Set<string>> {
  const keep = new Set<string>();
  for (const vpg of vpgs) {
    const checkpoints = await deps.store.listCheckpoints(vpg); // oldest first
    for (const v of checkpoints[checkpoints.length - 1]?.volumes ?? []) keep.add(v.snapshotId);
  }
  return keep;
}

export async function runSweep(input: SweeperInput, deps: StepDeps): Promise<SweepReport> {
  const siteId = deps.env.siteId;
  const ours = { [TAG.owner]: siteId };
  const [instances, volumes, snapshots] = [
    await deps.ec2.describeInstances({ tags: ours }),
    await deps.ec2.describeVolumes({ tags: ours }),
    await deps.ec2.describeSnapshots({ tags: ours }),
  ];
  const vpgs = new Set(input.vpgs);
  for (const r of [...instances, ...volumes, ...snapshots]) if (r.tags[TAG.vpg]) vpgs.add(r.tags[TAG.vpg]);
  const scope = {
    siteId,
    now: deps.now(),
    graceMinutes: input.graceMinutes,
    activeIds: await activeIds(deps, input.stateMachineArns),
    keepSnapshotIds: await baseSnapshots(deps, vpgs),
  };
  const plan = selectForSweep({ instances, volumes, snapshots }, scope);
  const deleted = { instances: [] as string[], volumes: [] as string[], snapshots: [] as string[] };
  const refused = [...plan.refused];
  const errors: string[] = [];
  for (const [vpg, selection] of plan.byVpg) {
    if (input.dryRun) {
      for (const kind of ['instances', 'volumes', 'snapshots'] as const) {
        for (const id of selection[kind]) deps.log.info('sweeper would delete', { dryRun: true, vpg, kind, id });
      }
      continue;
    }
    const report = await carryOutCleanup(selection, deps, { vpg, detachWaitSeconds: SWEEP_DETACH_WAIT_SECONDS, tolerateErrors: true });
    const done = { instances: report.terminatedInstances, volumes: report.deletedVolumes, snapshots: report.deletedSnapshots };
    for (const kind of ['instances', 'volumes', 'snapshots'] as const) {
      for (const id of done[kind]) deps.log.info('sweeper deleted', { vpg, kind, id });
      deleted[kind].push(...done[kind]);
    }
    refused.push(...report.refused.filter((r) => !plan.refused.some((p) => p.id === r.id)));
    errors.push(...report.errors, ...report.volumesLeft.map((id) => `${id}: still attached; the next sweep takes it`));
  }
  const report: SweepReport = { dryRun: input.dryRun, selected: Object.fromEntries(plan.byVpg), deleted, kept: plan.kept, refused, errors };
  deps.log.info('sweep done', { dryRun: input.dryRun, deleted, kept: plan.kept.length, refused: refused.length, errors });
  return report;
}
