/**
 * `lifeboat status` as data: one row per VPG with stable keys (the --json output; docs/operations.md documents
 * them), built from figures gathered elsewhere. Pure.
 */
import type { LeaseKind } from '../../runtime/core/lease/vpg-lease';
import { rpoSeconds } from '../../runtime/core/monitoring/metrics';
import { rpoStatus, rpoTarget, type RpoStatus } from '../../runtime/core/monitoring/metrics-rpo';
import type { StoreProblem } from '../../runtime/core/store/problems';

/**
 * The RPO's status; `damaged` when the store holds objects Lifeboat skips or cannot use; `departed` when a
 * protected volume left the VPG's selection and no person released it (its protection has ended). Never `ok` then.
 */
export type VpgStatus = RpoStatus | 'damaged' | 'departed';

/** Who holds the VPG's lease (runtime/core/lease/vpg-lease.ts), as status shows it. */
export interface LeaseView {
  readonly holder: string | null;
  readonly kind: LeaseKind | null;
  readonly token: number;
  readonly expiresAt: string;
  /** A live failback's final sync acting under its lease. */
  readonly delegate: string | null;
}

/** A protected volume whose protection ended: in an older checkpoint, not in the latest, not released. */
export interface DepartedView {
  readonly sourceVolumeId: string;
  readonly sourceInstanceId: string;
  readonly lastCheckpointId: string;
}

export interface LastSync {
  /** SUCCEEDED | FAILED | TIMED_OUT | ABORTED (Step Functions' words). */
  readonly status: string;
  readonly execution: string;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  /** Why it failed, readable; null when it did not. */
  readonly cause: string | null;
}

/** What was read about one VPG. Null figures could not be read (see `problems`). */
export interface VpgFigures {
  readonly vpg: string;
  readonly syncIntervalMinutes: number;
  readonly lastCheckpoint: { readonly id: string; readonly at: string } | null;
  readonly runningSyncs: number | null;
  readonly runningFailbacks: number | null;
  readonly lastSync: LastSync | null;
  readonly problems: readonly string[];
  /** What the replica store holds that Lifeboat skips or cannot use (S3ReplicaStore.inspect); null when not readable. */
  readonly storeProblems: readonly StoreProblem[] | null;
  /** The VPG's lease; null when never taken or not readable. */
  readonly lease?: LeaseView | null;
  /** Volumes whose protection ended (see DepartedView); null when not readable. */
  readonly departed?: readonly DepartedView[] | null;
}

export interface VpgStatusRow {
  readonly vpg: string;
  readonly lastCheckpointId: string | null;
  readonly lastCheckpointAt: string | null;
  /** Achieved RPO: seconds since lastCheckpointAt; null when never synced. */
  readonly rpoSeconds: number | null;
  /** The VPG's sync interval. */
  readonly targetSeconds: number;
  /** Where the RPO alarm fires (alerts.rpoAlarmMultiple x targetSeconds). */
  readonly alarmSeconds: number;
  readonly status: VpgStatus;
  readonly runningExecutions: { readonly sync: number | null; readonly failback: number | null };
  readonly lastSync: LastSync | null;
  readonly problems: readonly string[];
  /** Strays, corrupt manifests, broken chains, disabled packs: `{ kind, key, reason }`; null when not readable. */
  readonly storeProblems: ReadonlyArray<Pick<StoreProblem, 'kind' | 'key' | 'reason'>> | null;
  /** Who holds the VPG's lease: `{holder, kind, token, expiresAt, delegate}`; null when free of record. */
  readonly lease: LeaseView | null;
  /** `[{sourceVolumeId, sourceInstanceId, lastCheckpointId}]`: protection ended; `lifeboat release` confirms it. */
  readonly departed: readonly DepartedView[] | null;
}

export function statusRow(f: VpgFigures, alarmMultiple: number, now: Date): VpgStatusRow {
  const target = rpoTarget(f.syncIntervalMinutes, alarmMultiple);
  const rpo = rpoSeconds(f.lastCheckpoint?.at, now);
  return {
    vpg: f.vpg,
    lastCheckpointId: f.lastCheckpoint?.id ?? null,
    lastCheckpointAt: f.lastCheckpoint?.at ?? null,
    rpoSeconds: rpo,
    targetSeconds: target.targetSeconds,
    alarmSeconds: target.alarmSeconds,
    status: departedStatus(damaged(rpoStatus(rpo, target), f.storeProblems), f.departed ?? null),
    runningExecutions: { sync: f.runningSyncs, failback: f.runningFailbacks },
    lastSync: f.lastSync,
    problems: [...f.problems],
    storeProblems: f.storeProblems === null ? null : f.storeProblems.map(({ kind, key, reason }) => ({ kind, key, reason })),
    lease: f.lease ?? null,
    departed: f.departed === undefined ? [] : f.departed,
  };
}

/** A VPG whose protection of some volume ended silently is never `ok` (nor merely `late`). */
function departedStatus(status: VpgStatus, departed: readonly DepartedView[] | null): VpgStatus {
  return departed && departed.length > 0 && (status === 'ok' || status === 'late') ? 'departed' : status;
}

/** A damaged store is never `ok` (nor merely `late`); `breached` and `never` already say worse. */
function damaged(status: RpoStatus, problems: readonly StoreProblem[] | null): VpgStatus {
  return problems && problems.length > 0 && (status === 'ok' || status === 'late') ? 'damaged' : status;
}

/** 0 when every VPG is within its alarm threshold (ok or late); 1 when any is breached, never synced, damaged, or lost a volume's protection. */
export function statusExitCode(rows: readonly VpgStatusRow[]): 0 | 1 {
  return rows.some((r) => r.status === 'breached' || r.status === 'never' || r.status === 'damaged' || r.status === 'departed') ? 1 : 0;
}

/** 75 → "1m15s", 7200 → "2h00m", 90061 → "1d01h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}
