/**
 * Puts a child process of the offline cloud (a Lambda function's sandbox, a booted instance's node
 * processes) on the cloud's clock (clock.ts): Date answers cloud time, and setTimeout / setInterval wait
 * cloud milliseconds (a 30 s heartbeat at --time-scale 10 fires every 3 real seconds). Loaded with
 * `node --require`; it reads the anchor {cloudMs, realMs, scale} from the file LIFEBOAT_CLOCK_FILE names
 * and looks for a new one every quarter second, so a scale set while the child runs reaches it.
 * `process.lifeboatClock.realDelay(ms)` converts for code that blocks (Atomics.wait). Without the variable,
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
  globalThis.setTimeout = function (fn, ms, ...rest) {
    return realSetTimeout(fn, realDelay(ms), ...rest);
  };
  globalThis.setInterval = function (fn, ms, ...rest) {
    return realSetInterval(fn, realDelay(ms), ...rest);
  };
  const timersPromises = require('node:timers/promises');
  const realSleep = timersPromises.setTimeout;
  timersPromises.setTimeout = (ms, ...rest) => realSleep(realDelay(ms), ...rest);
  globalThis.__lifeboatClock = true;
  process.lifeboatClock = { now: cloudNow, realDelay, anchor: () => ({ ...anchor }) };
}
