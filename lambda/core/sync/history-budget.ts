/**
 * The share of Step Functions' 25,000-event execution history each zSAT's poll loop may use, so that a
 * very long read fails the sync with its cleanup (CleanupFailed runs, the lease is released, the cause is
 * readable) instead of dying at the quota, where no Catch runs and nothing is cleaned up
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). Pure.
 *
 * Events, as Step Functions logs them: one poll round is Wait (entered, exited) + PollZsat (entered,
 * scheduled, started, succeeded, exited) + ZsatDone (entered, exited) = 9; one Map iteration adds 9 more
 * (iteration started/succeeded, SpawnZsat 5, ZsatRead 2). Everything else (Init..Plan, Commit, Cleanup,
 * the Map's own 4, the failure path, every retry at 3 events, and snapshot polls at 9 each) comes from
 * RESERVED_EVENTS: ~50 fixed plus room for ~500 snapshot polls (16 h at the 120 s maximum wait).
 */
export const HISTORY_EVENT_QUOTA = 25_000;
export const EVENTS_PER_ZSAT_POLL = 9;
export const EVENTS_PER_ZSAT_ITERATION = 9;
export const RESERVED_EVENTS = 5_000;

/** Polls each of `zsatCount` zSATs may make (all iterations share one history). */
export function zsatPollBudget(zsatCount: number): number {
  const perZsat = Math.floor((HISTORY_EVENT_QUOTA - RESERVED_EVENTS) / Math.max(1, zsatCount));
  return Math.max(1, Math.floor((perZsat - EVENTS_PER_ZSAT_ITERATION) / EVENTS_PER_ZSAT_POLL));
}

export function pollBudgetExceeded(instanceId: string, polls: number): string {
  return (
    `zSAT ${instanceId} was still reading after ${polls} polls, this sync's share of Step Functions' 25,000-event ` +
    'execution history: the sync stops here and cleans up rather than die at the quota (a continuation in a fresh execution is not built yet)'
  );
}
