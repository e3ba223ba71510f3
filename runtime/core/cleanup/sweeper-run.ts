/**
 * One sweep of a site, VPG by VPG: list what carries our Owner, learn what each VPG uses (its base snapshots,
 * its lease's holders, its live readers, its running executions), select (pure, sweeper-selection.ts), prove
 * each leftover is one of the VPG's own executions' and that execution has ended (execution-proof.ts), then
 * delete through the guarded cleanup (tags re-checked right before each call), and remove the working files
 * and reader records of executions that are gone. Every deletion is one JSON log line.
 *
 * What it watches comes from its own environment (lib/sweeper.ts): an event may only narrow a sweep (a dry
 * run, fewer VPGs, a longer grace), never widen it. Doubt about one VPG (a listing that fails) skips that VPG
 * only, deleting nothing of it; the others are swept.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import type { CleanupSelection } from './cleanup-selection';
import { errorMessage, NotFound } from '../errors';
import { executionArnOf, judgeLeftovers, type VpgMachines } from './execution-proof';
import { importIdFor } from '../failback/recovery-plan';
import { currentLease } from '../lease/lease-guard';
import { ownsWorkResources, partiesOf, stepsInFlight } from '../lease/vpg-lease';
import { syncPrefix, importPrefix } from '../store/format';
import type { SweeperEnv } from '../step-env';
import { isLive, staleReaders } from '../store/readers';
import { deriveSyncId, executionName } from '../sync/ids';
import { carryOutCleanup } from './guarded-cleanup';
import type { StepDepsWith } from '../sync/deps';
import { selectForSweep, type Kept, type SweepInventory } from './sweeper-selection';
import { TAG, type Tags } from '../tags';
import { failbackStateMachineName, syncStateMachineName } from '../resource-names';

/** The sweeper reads and deletes EC2 resources, proves executions ended, and reads the store's lease and readers (no EBS direct APIs). */
export type SweeperDeps = StepDepsWith<'ec2' | 'executions' | 'store' | 'readers' | 'lease'>;

/** A hand-made or scheduled event: each field may only narrow what the environment says. */
export const sweeperInputSchema = z.looseObject({
  /** Longer than the configured grace only; a shorter one is raised to it. */
  graceMinutes: z
    .number()
    .min(0)
    .max(7 * 24 * 60)
    .optional(),
  dryRun: z.boolean().default(false),
  /** A subset of the site's VPGs; names it does not know are ignored. */
  vpgs: z.array(z.string().min(1)).optional(),
});
export type SweeperInput = z.output<typeof sweeperInputSchema>;

export interface SweepReport {
  readonly dryRun: boolean;
  readonly graceMinutes: number;
  /** What was deleted (or, in a dry run, would be), by VPG. */
  readonly selected: Readonly<Record<string, CleanupSelection>>;
  readonly deleted: { readonly instances: string[]; readonly volumes: string[]; readonly snapshots: string[] };
  /** Working-file prefixes (syncs/<id>/, imports/<id>/) and reader records (stale, or of an ended execution) removed (or that would be). */
  readonly workingFiles: readonly string[];
  readonly readerRecords: readonly string[];
  readonly kept: readonly Kept[];
  readonly refused: ReadonlyArray<{ id: string; reason: string }>;
  readonly errors: readonly string[];
}

/** How long the sweeper waits for a terminated worker to let go of its volumes (the next sweep takes the rest). */
const SWEEP_DETACH_WAIT_SECONDS = 60;
const WORKER_ROLES = new Set(['zsat', 'zimporter', 'sync-snapshot', 'recovered-vm']);

/** What one VPG uses now: nothing of it may go. */
interface InUse {
  readonly activeIds: Set<string>;
  readonly bases: Set<string>;
  readonly staleReaders: string[];
}

function machinesOf(env: SweeperEnv, siteId: string, vpg: string): VpgMachines | null {
  const find = (name: string) => env.stateMachineArns.find((arn) => arn.endsWith(`:stateMachine:${name}`));
  const sync = find(syncStateMachineName(siteId, vpg));
  const failback = find(failbackStateMachineName(siteId, vpg));
  return sync && failback ? { sync, failback } : null;
}

/** Every id an execution's resources and files carry: its ARN, name, sync id and import id. */
function idsOf(executionArn: string): string[] {
  return [executionArn, executionName(executionArn), deriveSyncId(executionArn), importIdFor(executionArn)];
}

async function inUse(deps: SweeperDeps, vpg: string, machines: VpgMachines): Promise<InUse> {
  const activeIds = new Set<string>();
  for (const arn of [machines.sync, machines.failback]) {
    try {
      for (const e of await deps.executions.listRunning(arn)) idsOf(e.executionArn).forEach((id) => activeIds.add(id));
    } catch (err) {
      if (!(err instanceof NotFound)) throw err; // not deployed (yet): it runs nothing
    }
  }
  // strongly consistent, unlike ListExecutions: the lease's parties (unless they have ended with no step of theirs
  // still in a Lambda: a stopped execution keeps its lease until the next sync takes it) and the live readers
  const lease = await currentLease(deps, vpg);
  const stepsRunning = lease ? stepsInFlight(lease, deps.now()).length > 0 : false;
  // a journal run (a split site's compaction) owns nothing the sweeper removes: its ARN is another state machine's, which
  // the sweeper is not granted to describe, and it is no one's leftover either
  for (const p of partiesOf(lease).filter(ownsWorkResources)) {
    if (!stepsRunning && (await deps.executions.state(p.executionArn)) === 'ended') continue;
    idsOf(p.executionArn).forEach((id) => activeIds.add(id));
  }
  // a reader counts while it is fresh and its execution (when it names one) has not ended: a stopped failback's
  // record would otherwise keep its importers for the record's whole horizon
  const { readers } = await deps.readers.listReaders(vpg);
  const gone: string[] = [];
  for (const r of readers.filter((r) => isLive(r, deps.now()))) {
    if (r.executionArn && (await deps.executions.state(r.executionArn)) === 'ended') {
      gone.push(r.id);
      continue;
    }
    [r.id, ...(r.executionArn ? idsOf(r.executionArn) : [])].forEach((id) => activeIds.add(id));
  }
  // the bases: the latest checkpoint's snapshots (the next sync diffs against them); older checkpoints' are superseded
  const checkpoints = await deps.store.listCheckpoints(vpg);
  const bases = new Set(checkpoints[checkpoints.length - 1]?.volumes.map((v) => v.snapshotId) ?? []);
  return { activeIds, bases, staleReaders: [...staleReaders(readers, deps.now()), ...gone] };
}

function inventoryOf(all: SweepInventory, vpg: string): SweepInventory {
  const mine = (tags: Tags) => tags[TAG.vpg] === vpg;
  return {
    instances: all.instances.filter((i) => mine(i.tags)),
    volumes: all.volumes.filter((v) => mine(v.tags)),
    snapshots: all.snapshots.filter((s) => mine(s.tags)),
  };
}

/** Drops from a selection what the proof refuses (look-alikes) or finds still running. */
async function proven(
  deps: SweeperDeps,
  machines: VpgMachines,
  selection: CleanupSelection,
  tagsById: Map<string, Tags>,
  kept: Kept[],
  refused: Array<{ id: string; reason: string }>,
): Promise<CleanupSelection> {
  const ids = [...selection.instances, ...selection.volumes, ...selection.snapshots];
  const verdicts = await judgeLeftovers(
    deps.executions,
    machines,
    ids.map((id) => ({ id, tags: tagsById.get(id) ?? {} })),
  );
  const keep = (id: string) => {
    const v = verdicts.get(id)!;
    if (v.kind === 'refused') refused.push({ id, reason: v.reason });
    else if (v.kind === 'running') kept.push({ id, reason: `its execution ${v.executionArn} is still running` });
    return v.kind === 'ended';
  };
  return {
    instances: selection.instances.filter(keep),
    volumes: selection.volumes.filter(keep),
    snapshots: selection.snapshots.filter(keep),
    refused: selection.refused,
  };
}

export async function runSweep(given: SweeperInput, deps: SweeperDeps, env: SweeperEnv): Promise<SweepReport> {
  const siteId = deps.env.siteId;
  // a configured dry run stays one, whatever the event says
  const input = { ...given, dryRun: given.dryRun || env.dryRun === true };
  const graceMinutes = Math.max(env.minGraceMinutes, input.graceMinutes ?? env.minGraceMinutes);
  const vpgs = env.vpgs.filter((v) => !input.vpgs || input.vpgs.includes(v));
  const ours = { [TAG.owner]: siteId };
  const all: SweepInventory = {
    instances: await deps.ec2.describeInstances({ tags: ours }),
    volumes: await deps.ec2.describeVolumes({ tags: ours }),
    snapshots: await deps.ec2.describeSnapshots({ tags: ours }),
  };
  const tagsById = new Map<string, Tags>([
    ...all.instances.map((i) => [i.instanceId, i.tags] as const),
    ...all.volumes.map((v) => [v.volumeId, v.tags] as const),
    ...all.snapshots.map((s) => [s.snapshotId, s.tags] as const),
  ]);
  const report = {
    selected: {} as Record<string, CleanupSelection>,
    deleted: { instances: [] as string[], volumes: [] as string[], snapshots: [] as string[] },
    workingFiles: [] as string[],
    readerRecords: [] as string[],
  };
  const kept: Kept[] = [];
  const refused: Array<{ id: string; reason: string }> = [];
  const errors: string[] = [];
  for (const [id, tags] of tagsById) {
    const vpg = tags[TAG.vpg];
    if (vpg && !env.vpgs.includes(vpg) && WORKER_ROLES.has(tags[TAG.role] ?? '')) kept.push({ id, reason: `VPG ${vpg} is not one of this site's` });
  }

  for (const vpg of vpgs) {
    const machines = machinesOf(env, siteId, vpg);
    if (!machines) {
      errors.push(`VPG ${vpg}: the sweeper's environment names no sync and failback state machine for it; nothing of it was swept`);
      continue;
    }
    let use: InUse;
    try {
      use = await inUse(deps, vpg, machines);
    } catch (err) {
      errors.push(`VPG ${vpg}: could not learn what it uses (${errorMessage(err)}); nothing of it was deleted`);
      deps.log.warn('sweeper skipped a VPG', { vpg, error: errorMessage(err) });
      continue;
    }
    try {
      await sweepVpg(vpg, { deps, machines, use, all, tagsById, graceMinutes, dryRun: input.dryRun }, { report, kept, refused, errors });
    } catch (err) {
      errors.push(`VPG ${vpg}: ${errorMessage(err)}`);
    }
  }
  const out: SweepReport = { dryRun: input.dryRun, graceMinutes, ...report, kept, refused, errors };
  deps.log.info('sweep done', {
    dryRun: input.dryRun,
    graceMinutes,
    deleted: out.deleted,
    workingFiles: out.workingFiles.length,
    kept: kept.length,
    refused: refused.length,
    errors,
  });
  return out;
}

interface SweepContext {
  readonly deps: SweeperDeps;
  readonly machines: VpgMachines;
  readonly use: InUse;
  readonly all: SweepInventory;
  readonly tagsById: Map<string, Tags>;
  readonly graceMinutes: number;
  readonly dryRun: boolean;
}
interface SweepOut {
  readonly report: { selected: Record<string, CleanupSelection>; deleted: SweepReport['deleted']; workingFiles: string[]; readerRecords: string[] };
  readonly kept: Kept[];
  readonly refused: Array<{ id: string; reason: string }>;
  readonly errors: string[];
}

async function sweepVpg(vpg: string, c: SweepContext, out: SweepOut): Promise<void> {
  const { deps, use } = c;
  // No grace for resources: each one the selection offers is then proven to belong to one of this VPG's
  // executions and that execution has ended (DescribeExecution never reports a running execution as ended), or
  // it stays. The grace protects only what cannot be proven so: the working files of syncs (below).
  const plan = selectForSweep(inventoryOf(c.all, vpg), {
    siteId: deps.env.siteId,
    now: deps.now(),
    graceMinutes: 0,
    activeIds: use.activeIds,
    keepSnapshotIds: use.bases,
  });
  out.kept.push(...plan.kept);
  out.refused.push(...plan.refused);
  const planned = plan.byVpg.get(vpg);
  if (planned) {
    const selection = await proven(deps, c.machines, planned, c.tagsById, out.kept, out.refused);
    out.report.selected[vpg] = selection;
    if (c.dryRun) {
      for (const kind of ['instances', 'volumes', 'snapshots'] as const)
        for (const id of selection[kind]) deps.log.info('sweeper would delete', { dryRun: true, vpg, kind, id });
    } else {
      const done = await carryOutCleanup(selection, deps, { vpg, detachWaitSeconds: SWEEP_DETACH_WAIT_SECONDS, tolerateErrors: true });
      const byKind = { instances: done.terminatedInstances, volumes: done.deletedVolumes, snapshots: done.deletedSnapshots };
      for (const kind of ['instances', 'volumes', 'snapshots'] as const) {
        for (const id of byKind[kind]) deps.log.info('sweeper deleted', { vpg, kind, id });
        out.report.deleted[kind].push(...byKind[kind]);
      }
      out.refused.push(...done.refused.filter((r) => !out.refused.some((p) => p.id === r.id)));
      out.errors.push(...done.errors, ...done.volumesLeft.map((id) => `${id}: still attached; the next sweep takes it`));
    }
  }
  await sweepFiles(vpg, c, out);
}

/** The sync execution a working set belongs to, from its first job file (it names the execution), if it proves so. */
async function syncOwner(deps: SweeperDeps, vpg: string, syncId: string, syncMachine: string): Promise<string | null> {
  const jobs = await deps.readers.workingJobExecutions(vpg, syncId);
  const claimed = jobs.find((arn) => arn.startsWith(syncMachine.replace(':stateMachine:', ':execution:')) && deriveSyncId(arn) === syncId);
  return claimed ?? null;
}

/** Working files of executions that have ended (or, when their owner cannot be named, older than the grace), and stale reader records. */
async function sweepFiles(vpg: string, c: SweepContext, out: SweepOut): Promise<void> {
  const { deps, use } = c;
  const graceMs = c.graceMinutes * 60_000;
  for (const set of await deps.readers.workingSets(vpg)) {
    if (use.activeIds.has(set.id)) continue;
    // the execution that owns the files, when it can be named: an import's id is its name; a sync's jobs name it
    const owner = set.kind === 'import' ? executionArnOf(c.machines.failback, set.id) : await syncOwner(deps, vpg, set.id, c.machines.sync);
    const state = owner ? await deps.executions.state(owner) : 'unknown';
    if (state === 'running') continue;
    if (state !== 'ended' && deps.now().getTime() - Date.parse(set.lastModified) < graceMs) continue;
    const prefix = set.kind === 'sync' ? syncPrefix(vpg, set.id) : importPrefix(vpg, set.id);
    if (!c.dryRun) {
      // a sync that never cleaned up may have left packs: the VPG's next compaction collects them
      if (set.kind === 'sync') await deps.readers.putGcNote(vpg, set.id);
      await deps.store.deletePrefix(prefix);
    }
    deps.log.info(c.dryRun ? 'sweeper would delete' : 'sweeper deleted', { vpg, kind: 'working-files', id: prefix });
    out.report.workingFiles.push(prefix);
  }
  for (const id of use.staleReaders) {
    if (!c.dryRun) await deps.readers.deleteReader(vpg, id);
    deps.log.info(c.dryRun ? 'sweeper would delete' : 'sweeper deleted', { vpg, kind: 'reader-record', id });
    out.report.readerRecords.push(id);
  }
}
