/**
 * Puts a child process of the offline cloud (a Lambda function's sandbox, a booted instance's node
 * processes) on the cloud's clock (clock.ts): Date answers cloud time, and setTimeout / setInterval wait
 * cloud milliseconds (a 30 s heartbeat at --time-scale 10 fires every 3 real seconds). Loaded with
 * `node --require`; it reads the anchor {cloudMs, realMs, scale} from the file LIFEBOAT_CLOCK_FILE names
 * and looks for a new one every quarter second, so a scale set while the child runs reaches it, timers already
 * armed included. `process.lifeboatClock.blockFor(ms)` blocks a thread for cloud milliseconds (Atomics.wait). Without the variable,
 * or while the clock is real time, it changes nothing.
 */
'use strict';

const file = process.env.LIFEBOAT_CLOCK_FILE;
if (file && !globalThis.__lifeboatClock) install(file);

function install(anchorFile) {
  const fs = require('node:fs');
  const RealDate = Date;
  const realNow = RealDate.now;
  const realSetTimeout = globalThis.setTimeout;
  const realSetInterval = globalThis.setInterval;
  let anchor = { cloudMs: realNow(), realMs: realNow(), scale: 1 };
  let seenMtime = -1;
  function refresh() {
    try {
      const st = fs.statSync(anchorFile);
      if (st.mtimeMs === seenMtime) return;
      seenMtime = st.mtimeMs;
      const a = JSON.parse(fs.readFileSync(anchorFile, 'utf8'));
      if (a && a.scale > 0 && Number.isFinite(a.cloudMs) && Number.isFinite(a.realMs)) anchor = a;
    } catch {
      // the anchor file is written by rename, so a read sees the old or the new one; absent: keep the last
    }
  }
  refresh();
  const watcher = realSetInterval(refresh, 250);
  if (watcher.unref) watcher.unref();

  const cloudNow = () => Math.floor(anchor.cloudMs + (realNow() - anchor.realMs) * anchor.scale);
  // rounded up: timers hold whole milliseconds, and a cloud timer must never fire early
  const realDelay = (ms) => (typeof ms === 'number' && ms > 0 ? Math.ceil(ms / anchor.scale) : ms);

  function CloudDate(...args) {
    if (!new.target) return new RealDate(cloudNow()).toString();
    return args.length === 0 ? new RealDate(cloudNow()) : new RealDate(...args);
  }
  Object.setPrototypeOf(CloudDate, RealDate);
  CloudDate.prototype = RealDate.prototype;
  CloudDate.now = cloudNow;
  globalThis.Date = CloudDate;
  // A timer waits for its cloud deadline in real slices, so a scale set while it waits moves its
  // end as setScale moves the cloud's own timers (clock.ts CloudTimers): armed at scale 10, a one-hour wait then
  // sped to 100 ends an hour of cloud time after it began, not six real minutes later.
  const SLICE_MS = 250;
  /** The real wait of the next slice towards a deadline `left` cloud ms away. */
  const sliceFor = (left) => Math.max(1, Math.min(SLICE_MS, realDelay(left)));
  class CloudTimer {
    constructor(fn, ms, args, repeat) {
      this.fn = fn;
      this.ms = Math.max(1, Number(ms) || 0);
      this.args = args;
      this.repeat = repeat;
      this.referenced = true;
      this.closed = false;
      this.deadline = cloudNow() + this.ms;
      this.arm();
    }
    arm() {
      const left = this.deadline - cloudNow();
      this.real = realSetTimeout(() => (this.deadline - cloudNow() > 0 ? this.arm() : this.fire()), sliceFor(left));
      if (!this.referenced) this.real.unref();
    }
    fire() {
      if (this.repeat) {
        this.deadline = Math.max(this.deadline + this.ms, cloudNow());
        this.arm();
      } else this.closed = true;
      this.fn(...this.args);
    }
    close() {
      this.closed = true;
      clearTimeoutReal(this.real);
      return this;
    }
    refresh() {
      if (this.closed) return this;
      clearTimeoutReal(this.real);
      this.deadline = cloudNow() + this.ms;
      this.arm();
      return this;
    }
    ref() {
      this.referenced = true;
      this.real.ref();
      return this;
    }
    unref() {
      this.referenced = false;
      this.real.unref();
      return this;
    }
    hasRef() {
      return this.referenced;
    }
    [Symbol.toPrimitive]() {
      return this.real[Symbol.toPrimitive]();
    }
    [Symbol.dispose]() {
      this.close();
    }
  }
  const clearTimeoutReal = globalThis.clearTimeout;
  const clearIntervalReal = globalThis.clearInterval;
  globalThis.setTimeout = function (fn, ms, ...rest) {
    // Below a real millisecond Node fires on its next turn anyway; any longer timer checks its cloud deadline when it
    // fires, because Node truncates a fractional delay (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args):
    // at scale 1e6 a one-hour timer is 3.6 real ms, and would fire after 3, ten cloud minutes early.
    if (typeof fn !== 'function' || !(realDelay(ms) >= 1)) return realSetTimeout(fn, realDelay(ms), ...rest);
    return new CloudTimer(fn, ms, rest, false);
  };
  globalThis.setInterval = function (fn, ms, ...rest) {
    if (typeof fn !== 'function') return realSetInterval(fn, realDelay(ms), ...rest);
    return new CloudTimer(fn, ms, rest, true);
  };
  globalThis.clearTimeout = function (t) {
    return t instanceof CloudTimer ? void t.close() : clearTimeoutReal(t);
  };
  globalThis.clearInterval = function (t) {
    return t instanceof CloudTimer ? void t.close() : clearIntervalReal(t);
  };
  const timersPromises = require('node:timers/promises');
  const realSleep = timersPromises.setTimeout;
  timersPromises.setTimeout = async (ms, value, options) => {
    if (!(realDelay(ms) > SLICE_MS)) return realSleep(realDelay(ms), value, options);
    const deadline = cloudNow() + ms;
    for (let left = ms; left > 0; left = deadline - cloudNow()) await realSleep(sliceFor(left), undefined, options);
    return value;
  };
  /** Blocks the thread (Atomics.wait) until `ms` cloud milliseconds from now, in slices that follow a new scale. */
  const blockFor = (ms) => {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const deadline = cloudNow() + ms;
    // a blocked thread runs no timers, so it reads a new anchor itself between slices
    for (let left = ms; left > 0; refresh(), left = deadline - cloudNow()) Atomics.wait(sleeper, 0, 0, sliceFor(left));
  };
  globalThis.__lifeboatClock = true;
  process.lifeboatClock = { now: cloudNow, realDelay, blockFor, anchor: () => ({ ...anchor }) };
}
