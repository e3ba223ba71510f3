/**
 * The share of Step Functions' 25,000-event execution history each loop of a sync execution may use. No
 * execution may reach the quota: there no Catch runs and nothing is cleaned up
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). So each zSAT's poll loop stops
 * at its share and the execution continues as a new one (sync/continue.ts) while the zSATs read on; snapshot
 * polls stop at theirs and fail the sync through its cleanup. Pure.
 *
 * Events, as Step Functions logs them: one poll round is Wait (entered, exited) + PollZsat (entered,
 * scheduled, started, succeeded, exited) + ZsatDone (entered, exited) = 9; one Map iteration adds at most 13
 * (iteration started/succeeded, SpawnOrResume 2, SpawnZsat 5 or ResumeZsat 2, its last ZsatDone 2, ZsatRead 2).
 * Everything else (Init..Plan, the Map's own 4, HandOver, Commit, Cleanup, the failure path, every retry at
 * 3 events) and the snapshot polls (9 each, SNAPSHOT_POLL_BUDGET of them) come from RESERVED_EVENTS.
 */
export const HISTORY_EVENT_QUOTA = 25_000;
export const EVENTS_PER_ZSAT_POLL = 9;
export const EVENTS_PER_ZSAT_ITERATION = 13;
export const EVENTS_PER_SNAPSHOT_POLL = 9;
/** Snapshot checks before a sync gives up on its snapshots: 3,600 events; 13 h at the 120 s longest wait. */
export const SNAPSHOT_POLL_BUDGET = 400;
export const RESERVED_EVENTS = 5_000;

/**
 * Polls each of `readingCount` zSATs still reading may make in one execution of a sync of `totalCount` zSATs
 * (every iteration costs its events; all iterations share one history).
 */
export function zsatPollBudget(readingCount: number, totalCount = readingCount): number {
  const forPolls = HISTORY_EVENT_QUOTA - RESERVED_EVENTS - EVENTS_PER_ZSAT_ITERATION * Math.max(totalCount, readingCount);
  return Math.max(1, Math.floor(forPolls / Math.max(1, readingCount) / EVENTS_PER_ZSAT_POLL));
}

/** Continuations a sync may chain: a bound on a read that never ends (each one is hours at the least). */
export const MAX_CONTINUATIONS = 500;

export function continuationsExhausted(instanceIds: readonly string[], continuations: number): string {
  return (
    `zSAT ${instanceIds.join(', ')} still reading after ${continuations} continuations of this sync (each a fresh ` +
    'execution with its own share of the 25,000-event history): the sync stops here and cleans up'
  );
}

export function noProgressSinceHandOver(instanceId: string, blocksDone: number, blocksTotal: number): string {
  return (
    `zSAT ${instanceId} read nothing during a whole execution of this sync (still ${blocksDone} of ${blocksTotal} blocks): ` +
    'the agent reports but does not read; the sync stops here and cleans up rather than continue without end'
  );
}

export function snapshotBudgetExceeded(
  waiting: ReadonlyArray<{ snapshotId: string; volumeId: string; state: string; startTime?: string }>,
  polls: number,
): string {
  const which = waiting.map((w) => `${w.snapshotId} of volume ${w.volumeId} is ${w.state}${w.startTime ? ` (started ${w.startTime})` : ''}`);
  return (
    `${which.join('; ')} after ${polls} checks, the most a sync waits for its snapshots (its share of Step Functions' ` +
    "25,000-event history): the sync stops here, cleans up and frees the VPG's lease. A snapshot in 'recoverable' " +
    "was deleted into the Recycle Bin; one in 'recovering' is being restored from it: see the EC2 console's Recycle Bin"
  );
}

/** Step Functions' one-year maximum execution time (https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html). */
const ONE_YEAR_SECONDS = 365 * 24 * 3600;
/** Lambda time allowed per poll, on top of its wait, and the fixed steps of an execution (each with its retries). */
const POLL_STEP_SECONDS = 10;
const FIXED_STEPS = 20;

/**
 * A sync execution's TimeoutSeconds: the longest one execution can plausibly run under its history budget,
 * every snapshot check and every zSAT poll at its longest wait, plus its fixed steps at their timeout with
 * their retries. A read longer than that goes on in a continuation, so this only stops an execution that
 * is stuck outside its loops; no Catch runs then (the lease expires, the sweeper collects).
 * Defaults (pollSeconds 30, heartbeat 300 s, 6-minute steps): about 99 hours.
 */
export function syncExecutionTimeoutSeconds(
  vpg: { pollSeconds: number; heartbeatTimeoutSeconds: number },
  stepTimeoutSeconds: number,
  retrySeconds = 600,
): number {
  const longestWait = Math.max(5, vpg.pollSeconds * 4);
  const zsatWait = Math.max(5, Math.min(Math.floor(vpg.heartbeatTimeoutSeconds / 2), longestWait));
  const seconds =
    SNAPSHOT_POLL_BUDGET * (longestWait + POLL_STEP_SECONDS) +
    zsatPollBudget(1) * (zsatWait + POLL_STEP_SECONDS) +
    FIXED_STEPS * (stepTimeoutSeconds + retrySeconds);
  return Math.min(ONE_YEAR_SECONDS, Math.ceil(seconds));
}

/** Checks of a live failback's final sync before the failback gives up on it (waits of at most 60 s: 5 h). */
export const FINAL_SYNC_POLL_BUDGET = 300;

/**
 * A failback execution's TimeoutSeconds: its final sync's checks, its importers' polls (one importer's whole
 * budget, each at its longest wait) and its snapshot and launch loops (as a sync's snapshot checks), plus its
 * fixed steps. Defaults: about 105 hours.
 */
export function failbackExecutionTimeoutSeconds(
  vpg: { pollSeconds: number; heartbeatTimeoutSeconds: number },
  stepTimeoutSeconds: number,
  retrySeconds = 600,
): number {
  const finalSync = FINAL_SYNC_POLL_BUDGET * (60 + POLL_STEP_SECONDS);
  return Math.min(ONE_YEAR_SECONDS, finalSync + syncExecutionTimeoutSeconds(vpg, stepTimeoutSeconds, retrySeconds));
}

/** Events one ZImporter poll round costs: WaitImporter 2 + PollImporter 5 + ImporterDone 2, as a zSAT's. */
export const EVENTS_PER_IMPORTER_POLL = EVENTS_PER_ZSAT_POLL;

/**
 * Polls each of `importerCount` ZImporters may make at its ordinary wait in one failback execution: the
 * importers of one Map share one history, so their share is a sync's zSAT share for the same count.
 */
export function importerPollBudget(importerCount: number): number {
  return zsatPollBudget(importerCount);
}

/**
 * The wait before an importer's next poll. Within its budget: the ordinary wait. Past it, a failback does
 * not give up on importers that are still writing (a recovery that keeps going is what an operator wants
 * on the worst day): each further wait doubles, so the extra polls before the execution's TimeoutSeconds are
 * at most log2(timeout / wait) and the loop cannot reach the 25,000-event quota, where no Catch would run.
 */
export function importerWaitSeconds(ordinaryWait: number, polls: number, budget: number): number {
  const over = polls - budget;
  if (over < 0) return ordinaryWait;
  return Math.min(ONE_YEAR_SECONDS, Math.max(MIN_POLL_WAIT, ordinaryWait) * 2 ** Math.min(over + 1, 30));
}
const MIN_POLL_WAIT = 5;
