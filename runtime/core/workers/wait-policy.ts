/**
 * How long a Wait state sleeps before the next check. Waits adapt to observed progress so a long first
 * snapshot or read costs few state transitions (Step Functions bills them and caps history at 25,000 events),
 * never below 5 s and never above pollSeconds*4.
 */
export const MIN_WAIT_SECONDS = 5;

export function maxWaitSeconds(pollSeconds: number): number {
  return Math.max(MIN_WAIT_SECONDS, pollSeconds * 4);
}

export function clampWait(seconds: number, pollSeconds: number, ceiling = maxWaitSeconds(pollSeconds)): number {
  const upper = Math.max(MIN_WAIT_SECONDS, Math.min(ceiling, maxWaitSeconds(pollSeconds)));
  if (!Number.isFinite(seconds)) return upper;
  return Math.min(upper, Math.max(MIN_WAIT_SECONDS, Math.round(seconds)));
}

/** Seconds still to go for one job, from the progress made since it started; with no progress, as long as it has taken. */
function remainingSeconds(fractionDone: number, elapsedSeconds: number): number {
  if (fractionDone <= 0) return elapsedSeconds;
  if (fractionDone >= 1) return 0;
  return (elapsedSeconds * (1 - fractionDone)) / fractionDone;
}

/**
 * Snapshots: the slowest pending snapshot's expected remaining time. Not half of it: snapshot progress
 * climbs steadily, and halving only adds checks as the end nears (a 1-minute snapshot took five).
 */
export function snapshotWaitSeconds(pending: ReadonlyArray<{ progress: number; startTime: string }>, now: Date, pollSeconds: number): number {
  if (pending.length === 0) return MIN_WAIT_SECONDS;
  const remaining = pending.map((s) => {
    const elapsed = Math.max(0, (now.getTime() - Date.parse(s.startTime)) / 1000);
    return remainingSeconds(s.progress / 100, elapsed);
  });
  return clampWait(Math.max(...remaining), pollSeconds);
}

/**
 * zSAT and ZImporter jobs: the expected remaining time at the agent's own rate (it reads at a steady rate;
 * half of it would only add checks near the end), and never longer than
 * half the heartbeat timeout so a dead agent is noticed in time. The rate is measured from the agent's
 * start (`agentStartedAt`): counted from the launch it would include the instance's boot and overstate
 * what is left. Until the agent has reported, its instance is still booting, which takes about one poll
 * interval (pollSeconds defaults to 30 s; an EC2 instance runs its user data ~45 s after launch): half of
 * that, so the agent's start is seen soon after it happens.
 */
export function zsatWaitSeconds(args: {
  blocksDone: number;
  blocksTotal: number;
  launchedAt: string;
  /** When the agent started the job (its first heartbeat); absent until it has reported. */
  agentStartedAt?: string;
  now: Date;
  pollSeconds: number;
  heartbeatTimeoutSeconds: number;
}): number {
  const ceiling = Math.floor(args.heartbeatTimeoutSeconds / 2);
  const since = args.agentStartedAt ?? (args.blocksDone > 0 ? args.launchedAt : undefined);
  if (since === undefined || args.blocksTotal <= 0) return clampWait(args.pollSeconds / 2, args.pollSeconds, ceiling);
  const elapsed = Math.max(0, (args.now.getTime() - Date.parse(since)) / 1000);
  return clampWait(remainingSeconds(args.blocksDone / args.blocksTotal, elapsed), args.pollSeconds, ceiling);
}
