/**
 * The offline cloud's one clock. Everything that stands for AWS time runs on it: EC2 state transitions,
 * snapshot progress, volume initialization, request-rate buckets, Step Functions' Waits, retries, schedules
 * and history, credentials' expiry, and (through clock-preload.js) the Date and timers of every Lambda
 * function and every booted instance's node processes. It is linear: one real second is `scale` cloud
 * seconds (`lifeboat cloud --time-scale N`; 1 = AWS's real times), so any process can compute it from
 * an anchor (cloud ms, real ms, scale) without asking; the anchor is published in a file the children
 * watch, so a scale set while they run reaches them too. Figures in AWS seconds (sync duration, RPO, RTO)
 * are differences of this clock, measured from a run.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ClockAnchor {
  /** Cloud epoch ms at `realMs`. */
  cloudMs: number;
  /** Real epoch ms the anchor was taken at. */
  realMs: number;
  /** Cloud ms per real ms. */
  scale: number;
}

export interface SavedClock {
  cloudMs: number;
}

export interface CloudClockOptions {
  scale?: number;
  /** Where the cloud clock starts (a restored cloud's saved time); never before the real time. */
  startCloudMs?: number;
  /** A test's hand-moved clock: `now()` answers it and the scale only converts delays. */
  manual?: () => number;
}

/** The variable that names the anchor file to a child process (read by clock-preload.js). */
export const CLOCK_FILE_VARIABLE = 'LIFEBOAT_CLOCK_FILE';
/** The preload that puts a child's Date and timers on the cloud clock. */
export const CLOCK_PRELOAD = path.join(__dirname, 'clock-preload.js');

export function checkScale(n: number): number {
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`time scale must be a number above 0, got ${n}`);
  return n;
}

export class CloudClock {
  private anchorAt: ClockAnchor;
  private readonly manual?: () => number;
  private readonly listeners = new Set<() => void>();
  private file?: string;

  constructor(opts: CloudClockOptions = {}) {
    const real = Date.now();
    this.manual = opts.manual;
    this.anchorAt = { cloudMs: Math.max(real, opts.startCloudMs ?? real), realMs: real, scale: checkScale(opts.scale ?? 1) };
  }

  /** Cloud epoch ms. */
  now(): number {
    if (this.manual) return this.manual();
    const a = this.anchorAt;
    return a.cloudMs + (Date.now() - a.realMs) * a.scale;
  }

  /** The cloud time of a real epoch ms (a file's mtime, say). */
  cloudTimeOf(realMs: number): number {
    if (this.manual) return this.manual();
    const a = this.anchorAt;
    return a.cloudMs + (realMs - a.realMs) * a.scale;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  get scale(): number {
    return this.anchorAt.scale;
  }

  /** A hand-moved clock (tests) does not advance with real time, so a timer cannot wait for it to. */
  get isManual(): boolean {
    return this.manual !== undefined;
  }

  anchor(): ClockAnchor {
    return { ...this.anchorAt };
  }

  /** From now on one real second is n cloud seconds; armed timers (CloudTimers) re-arm, children follow. */
  setScale(n: number): void {
    checkScale(n);
    const real = Date.now();
    this.anchorAt = { cloudMs: this.now(), realMs: real, scale: n };
    this.publish();
    for (const fn of this.listeners) fn();
  }

  /** What a saved cloud keeps of its clock: the cloud time it was saved at. */
  toJSON(): SavedClock {
    return { cloudMs: this.now() };
  }

  /** A restored cloud goes on from the time it saved (no cloud time passes while it is stopped), or from now if later. */
  restore(saved: SavedClock | undefined): void {
    if (!saved || this.manual || !Number.isFinite(saved.cloudMs) || saved.cloudMs <= this.now()) return;
    this.anchorAt = { cloudMs: saved.cloudMs, realMs: Date.now(), scale: this.anchorAt.scale };
    this.publish();
    for (const fn of this.listeners) fn();
  }

  /** Real ms a span of cloud ms takes, rounded up (timers hold whole milliseconds; a cloud timer never fires early). */
  realDelay(cloudMs: number): number {
    return Math.ceil(Math.max(0, cloudMs) / this.anchorAt.scale);
  }

  /** Resolves after `cloudMs` of cloud time. */
  sleep(cloudMs: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.realDelay(cloudMs)));
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Writes the anchor where child processes read it (`<dataDir>/clock.json`) and answers the environment
   * and node options a child needs to run on this clock.
   */
  publishTo(dataDir: string): void {
    this.file = path.join(dataDir, 'clock.json');
    this.publish();
  }

  childEnvironment(): Record<string, string> {
    return this.file ? { [CLOCK_FILE_VARIABLE]: this.file } : {};
  }

  private publish(): void {
    if (!this.file || this.manual) return;
    fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(this.anchorAt));
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}

/** The clock of a context that was built without one (unit harnesses): real time. */
export const REAL_TIME = new CloudClock();

/**
 * Timers that fire at a cloud time; when the scale changes they re-arm for the real time left.
 * `at` returns a cancel function. `unref`: an armed timer does not keep the process alive.
 */
export class CloudTimers {
  private readonly armed = new Map<number, { when: number; fn: () => void; handle?: NodeJS.Timeout }>();
  private next = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly clock: CloudClock,
    private readonly opts: { unref?: boolean } = {},
  ) {
    this.unsubscribe = clock.onChange(() => {
      for (const [id, t] of this.armed) this.arm(id, t);
    });
  }

  at(when: number, fn: () => void): () => void {
    const id = this.next++;
    const t = { when, fn };
    this.armed.set(id, t);
    this.arm(id, t);
    return () => {
      clearTimeout(this.armed.get(id)?.handle);
      this.armed.delete(id);
    };
  }

  clear(): void {
    for (const t of this.armed.values()) clearTimeout(t.handle);
    this.armed.clear();
  }

  close(): void {
    this.clear();
    this.unsubscribe();
  }

  private arm(id: number, t: { when: number; fn: () => void; handle?: NodeJS.Timeout }): void {
    clearTimeout(t.handle);
    // setTimeout holds at most 2^31-1 ms; a later time re-arms when that fires
    const delay = Math.min(this.clock.realDelay(t.when - this.clock.now()), 2_147_483_647);
    t.handle = setTimeout(() => {
      // Node's timers run on a monotonic clock and Date.now() on the wall clock: a 1 ms timer can fire
      // before Date.now() moves, which at a high scale is a whole cloud hour early; wait again instead
      if (this.clock.now() < t.when && (delay === 2_147_483_647 || !this.clock.isManual)) return this.arm(id, t);
      this.armed.delete(id);
      t.fn();
    }, delay);
    if (this.opts.unref) t.handle.unref();
  }
}
