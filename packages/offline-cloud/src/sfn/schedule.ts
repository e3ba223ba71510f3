/**
 * EventBridge / Scheduler schedules on the cloud clock (src/clock.ts): rate(15 minutes) fires every 15
 * cloud minutes (15*60/n real seconds at time scale n), cron(...) at its next match on the cloud clock.
 * They fire only once switched on (the offline cloud starts with them off unless given a time scale).
 */
import { type CloudClock, CloudTimers } from '../clock';

export interface ScheduleSpec {
  /** `<stack>/<logicalId>/<targetId>`. */
  id: string;
  expression: string;
  stateMachineArn: string;
  input: string;
  enabled: boolean;
}

type Parsed = { kind: 'rate'; periodMs: number } | { kind: 'cron'; fields: CronFields };

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function parseScheduleExpression(expression: string): Parsed {
  const rate = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/.exec(expression.trim());
  if (rate) return { kind: 'rate', periodMs: Number(rate[1]) * UNIT_MS[rate[2].replace(/s$/, '')] };
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron) return { kind: 'cron', fields: parseCron(cron[1]) };
  throw new Error(`unsupported schedule expression: ${expression}`);
}

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth?: Set<number>;
  months: Set<number>;
  /** 1 = Sunday … 7 = Saturday, as AWS cron counts. */
  daysOfWeek?: Set<number>;
  years?: Set<number>;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** AWS cron: minutes hours day-of-month month day-of-week year (UTC); *, ?, lists, ranges, steps, names. */
export function parseCron(body: string): CronFields {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`cron needs 6 fields: ${body}`);
  const [min, hour, dom, month, dow, year] = parts;
  return {
    minutes: field(min, 0, 59)!,
    hours: field(hour, 0, 23)!,
    daysOfMonth: field(dom, 1, 31),
    months: field(month, 1, 12, MONTHS)!,
    daysOfWeek: field(dow, 1, 7, DAYS),
    years: field(year, 1970, 2199),
  };
}

/** undefined = '?' or '*' where "any" is meant. */
function field(text: string, lo: number, hi: number, names?: string[]): Set<number> | undefined {
  if (text === '?') return undefined;
  const out = new Set<number>();
  const value = (s: string) => {
    const idx = names?.indexOf(s.toUpperCase()) ?? -1;
    const n = idx >= 0 ? idx + 1 : Number(s);
    if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`cron value out of range: ${s}`);
    return n;
  };
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/');
    const step = stepText ? Number(stepText) : 1;
    let from = lo;
    let to = hi;
    if (range !== '*') {
      const [a, b] = range.split('-');
      from = value(a);
      to = b !== undefined ? value(b) : stepText ? hi : from;
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
}

/** First minute strictly after `after` (epoch ms, UTC) that the cron matches; undefined within 5 years. */
export function nextCronMatch(fields: CronFields, after: number): number | undefined {
  const d = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  const limit = after + 5 * 366 * UNIT_MS.day;
  while (d.getTime() < limit) {
    const dayMatches = (!fields.daysOfMonth || fields.daysOfMonth.has(d.getUTCDate())) && (!fields.daysOfWeek || fields.daysOfWeek.has(d.getUTCDay() + 1));
    if (!fields.months.has(d.getUTCMonth() + 1) || (fields.years && !fields.years.has(d.getUTCFullYear())) || !dayMatches) {
      d.setUTCHours(24, 0, 0, 0);
    } else if (!fields.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!fields.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else {
      return d.getTime();
    }
  }
  return undefined;
}

interface Armed {
  spec: ScheduleSpec;
  parsed: Parsed;
  /** Next fire time on the cloud clock. */
  nextCloudMs?: number;
  cancel?: () => void;
}

export class Scheduler {
  private readonly armed = new Map<string, Armed>();
  private on = false;
  /** They re-arm themselves when the scale changes; a schedule keeps no process alive. */
  private readonly timers: CloudTimers;

  constructor(
    private readonly clock: CloudClock,
    private readonly fire: (spec: ScheduleSpec) => void,
  ) {
    this.timers = new CloudTimers(clock, { unref: true });
  }

  get enabled(): boolean {
    return this.on;
  }

  setEnabled(on: boolean): void {
    this.on = on;
    for (const a of this.armed.values()) this.arm(a);
  }

  put(spec: ScheduleSpec): void {
    this.remove(spec.id);
    const a: Armed = { spec, parsed: parseScheduleExpression(spec.expression) };
    this.armed.set(spec.id, a);
    this.arm(a);
  }

  remove(id: string): void {
    this.armed.get(id)?.cancel?.();
    this.armed.delete(id);
  }

  list(): ScheduleSpec[] {
    return [...this.armed.values()].map((a) => a.spec);
  }

  close(): void {
    for (const id of [...this.armed.keys()]) this.remove(id);
    this.timers.close();
  }

  private arm(a: Armed): void {
    a.cancel?.();
    a.cancel = undefined;
    if (!this.on || !a.spec.enabled) return;
    const now = this.clock.now();
    if (a.nextCloudMs === undefined || a.nextCloudMs < now) a.nextCloudMs = this.nextAfter(a, now);
    const at = a.nextCloudMs;
    if (at === undefined) return;
    a.cancel = this.timers.at(at, () => {
      a.cancel = undefined;
      a.nextCloudMs = this.nextAfter(a, at);
      this.fire(a.spec);
      this.arm(a);
    });
  }

  private nextAfter(a: Armed, cloudMs: number): number | undefined {
    return a.parsed.kind === 'rate' ? cloudMs + a.parsed.periodMs : nextCronMatch(a.parsed.fields, cloudMs);
  }
}
