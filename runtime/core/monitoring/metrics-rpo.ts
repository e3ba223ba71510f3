/** How late a VPG is: its achieved RPO against its target (the sync interval) and its alarm threshold. Pure. */
export type RpoStatus = 'ok' | 'late' | 'breached' | 'never';

/** Default: the RPO alarm fires beyond twice the sync interval. */
export const DEFAULT_RPO_ALARM_MULTIPLE = 2;

export interface RpoTarget {
  /** The VPG's sync interval, in seconds. */
  readonly targetSeconds: number;
  /** Alarm multiple × target, in seconds. */
  readonly alarmSeconds: number;
}

export function rpoTarget(syncIntervalMinutes: number, alarmMultiple: number): RpoTarget {
  const targetSeconds = syncIntervalMinutes * 60;
  return { targetSeconds, alarmSeconds: Math.round(targetSeconds * alarmMultiple) };
}

/** ok: within the interval; late: within the alarm threshold; breached: beyond it; never: no checkpoint yet. */
export function rpoStatus(rpoSeconds: number | null, target: RpoTarget): RpoStatus {
  if (rpoSeconds === null) return 'never';
  if (rpoSeconds <= target.targetSeconds) return 'ok';
  if (rpoSeconds <= target.alarmSeconds) return 'late';
  return 'breached';
}
