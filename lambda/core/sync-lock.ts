/** One sync per VPG at a time: among the machine's RUNNING executions, the earliest started holds the lock. */
import type { RunningExecution } from './sync-ports';
import { executionName } from './sync-ids';

export type LockDecision = { readonly acquired: true } | { readonly acquired: false; readonly holder: RunningExecution };

/** Earlier start wins; on a tie, the smaller execution name. */
function precedes(a: { startDate: string; name: string }, b: { startDate: string; name: string }): boolean {
  const ta = Date.parse(a.startDate);
  const tb = Date.parse(b.startDate);
  if (ta !== tb) return ta < tb;
  return a.name < b.name;
}

export function decideLock(self: { executionArn: string; startedAt: string }, running: readonly RunningExecution[]): LockDecision {
  const listedSelf = running.find((e) => e.executionArn === self.executionArn);
  const me = { startDate: listedSelf?.startDate ?? self.startedAt, name: executionName(self.executionArn) };
  const holders = running
    .filter((e) => e.executionArn !== self.executionArn && precedes(e, me))
    .sort((a, b) => (precedes(a, b) ? -1 : 1));
  return holders.length === 0 ? { acquired: true } : { acquired: false, holder: holders[0] };
}
