/**
 * The guest's block devices, paced as EBS paces them (the figures and facts: ../device-rates.ts). Loaded into every
 * node process and worker thread of a booted instance through NODE_OPTIONS=--require (guest-os.ts bootEnvironment),
 * it delays each read and write of an attached volume (fs.readSync/writeSync/read/write, FileHandle.read/write) until
 * the modelled I/O would complete: the volume's throughput, the instance's EBS bandwidth (maximum for its burst
 * seconds, then baseline), and, for a block of a volume from a snapshot that neither an earlier read nor background
 * initialization has pulled yet, its fetch at the initialization rate. Threads share one state: the main thread owns
 * it in a SharedArrayBuffer that every worker thread it starts inherits as environment data. A no-op without
 * LIFEBOAT_DEVICE_RATES (the facts file).
 */
'use strict';

const BLOCK = 524288;
const MIB = 1048576;
/** The environment data key the shared state travels under. */
const CHANNEL = 'lifeboat-device-rates';

/** Volumes one instance may pace at once, and the largest volume's blocks (16 TiB / 512 KiB) a bitmap holds. */
const SLOTS = 16;
const MAX_BLOCKS = (16 * 1024 * MIB * 1024) / BLOCK;

/**
 * One SharedArrayBuffer holds everything the threads share: a lock and the slots' volume-id hashes (Int32), the
 * instance's pacer and burst left, three counters, and each slot's two pacers and on-demand fetch count (Float64),
 * each slot's initialized blocks (a bitmap). Its pages are touched only as far as blocks are read.
 */
function newState(facts, buffer) {
  const ints = 1 + SLOTS;
  const floatsAt = 8 * Math.ceil((4 * ints) / 8);
  const floats = 5 + 3 * SLOTS;
  const bitmapAt = floatsAt + 8 * floats;
  const sab = buffer ?? new SharedArrayBuffer(bitmapAt + SLOTS * (MAX_BLOCKS / 8));
  const state = {
    buffer: sab,
    lock: new Int32Array(sab, 0, ints),
    nums: new Float64Array(sab, floatsAt, floats),
    bitmap: (slot) => new Uint8Array(sab, bitmapAt + slot * (MAX_BLOCKS / 8), MAX_BLOCKS / 8),
  };
  if (!buffer) state.nums[1] = facts.instance.burstSeconds * 1000;
  return state;
}

/** 32-bit FNV-1a of a volume id, never 0 (0 marks a free slot). */
function hashOf(id) {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 1;
}

/** The slot of a volume (taken on first use, under the lock). */
function slotOf(state, volumeId) {
  const h = hashOf(volumeId);
  for (let i = 0; i < SLOTS; i++) if (state.lock[1 + i] === h) return i;
  for (let i = 0; i < SLOTS; i++) if (state.lock[1 + i] === 0) return ((state.lock[1 + i] = h), i);
  return -1;
}

/** Completion time (ms) of `bytes` at `mibps` on a pacer whose next free time is at `slot`. */
function reserve(arr, slot, bytes, mibps, now) {
  const start = Math.max(now, arr[slot]);
  arr[slot] = start + (bytes / (mibps * MIB)) * 1000;
  return arr[slot];
}

function withLock(lock, fn) {
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1, 1);
  try {
    return fn();
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0);
  }
}

/**
 * The rank of block `b` among the snapshot's written blocks (ranges of block indexes, sorted), or -1 for a block
 * the snapshot never wrote: that one reads as zeros and needs no fetch. Without ranges every block up to
 * `bytes` is written.
 */
function rankOf(init, b) {
  if (!init.ranges) return b < init.bytes / BLOCK ? b : -1;
  // every read asks: a binary search over the ranges, with each range's first rank computed once per facts
  const ranges = init.ranges;
  if (!init.firstRanks) {
    init.firstRanks = [];
    let rank = 0;
    for (const [start, end] of ranges) (init.firstRanks.push(rank), (rank += end - start));
  }
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = ranges[mid];
    if (b < start) hi = mid - 1;
    else if (b >= end) lo = mid + 1;
    else return init.firstRanks[mid] + (b - start);
  }
  return -1;
}

/**
 * Bytes of [offset, offset+length) to fetch now (none for a write: `fetch` false); marks the blocks initialized. Initialization is one stream at the
 * rate from the volume's creation: it delivers the written blocks in order in the background, and a first read of a
 * block it has not reached yet is delivered first, instead of a background one. So background coverage is what the
 * stream has delivered by `now` less the blocks delivered on demand, and however blocks are read, all of them
 * arrive no sooner than `bytes / rate` after creation, as AWS's initialization time.
 */
function pull(device, bitmap, nums, countAt, offset, length, now, fetch = true) {
  const init = device.initialization;
  if (!init) return 0;
  const totalBlocks = Math.ceil(device.sizeBytes / BLOCK);
  const streamed = Math.floor(((Math.max(0, now - init.startedAtMs) / 1000) * init.rateMiBps * MIB) / BLOCK);
  const background = Math.max(0, streamed - nums[countAt]);
  let pending = 0;
  for (let b = Math.floor(offset / BLOCK); b <= Math.floor((offset + Math.max(1, length) - 1) / BLOCK) && b < totalBlocks; b++) {
    const bit = 1 << (b & 7);
    if ((bitmap[b >> 3] & bit) !== 0) continue;
    bitmap[b >> 3] |= bit;
    const rank = rankOf(init, b);
    if (!fetch || rank < 0 || rank < background) continue;
    nums[countAt]++;
    pending += BLOCK;
  }
  return pending;
}

/** Milliseconds until an I/O of `length` bytes at `offset` on `name` completes, from `now`; updates the shared state. */
function delayFor(facts, state, name, offset, length, kind, now) {
  const device = facts.devices[name];
  return withLock(state.lock, () => {
    const slot = slotOf(state, device.volumeId);
    if (slot < 0) return 0;
    const n = state.nums;
    const inst = facts.instance;
    const bursting = n[1] > 0;
    const rate = bursting ? inst.maximumMiBps : inst.baselineMiBps;
    let done = reserve(n, 0, length, rate, now);
    if (bursting) n[1] -= (length / (rate * MIB)) * 1000;
    // per slot: the volume's throughput pacer, its initialization pacer, the blocks it fetched on demand
    const pacer = 5 + 3 * slot;
    done = Math.max(done, reserve(n, pacer, length, device.throughputMiBps, now));
    const bitmap = state.bitmap(slot);
    const fetched = kind === 'read' ? pull(device, bitmap, n, pacer + 2, offset, length, now) : 0;
    if (kind === 'write' && device.initialization) pull(device, bitmap, n, pacer + 2, offset, length, now, false); // a written block needs no fetch later
    if (fetched > 0) done = Math.max(done, reserve(n, pacer + 1, fetched, device.initialization.rateMiBps, now));
    n[2] += done - now;
    n[3] += fetched;
    n[4] += length;
    return done - now;
  });
}

module.exports = { BLOCK, newState, delayFor, rankOf };

const factsFile = process.env.LIFEBOAT_DEVICE_RATES;
if (factsFile) install(factsFile);

function install(file) {
  const fs = require('node:fs');
  const fsp = require('node:fs/promises');
  const { isMainThread, getEnvironmentData, setEnvironmentData } = require('node:worker_threads');
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const readFacts = () => JSON.parse(fs.readFileSync(file, 'utf8'));
  let facts = readFacts();
  // the main thread's state reaches every worker thread it starts (environment data clones a SharedArrayBuffer as shared)
  const inherited = isMainThread ? undefined : getEnvironmentData(CHANNEL);
  const state = newState(facts, inherited);
  if (isMainThread) setEnvironmentData(CHANNEL, state.buffer);

  /** The device an fd is open on; the facts are read again for a file they do not name (an attach since). */
  function deviceOf(fd) {
    let target;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return undefined;
    }
    const find = () => Object.keys(facts.devices).find((n) => facts.devices[n].targetPath === target);
    let name = find();
    if (!name && /volume/.test(target)) {
      facts = readFacts();
      name = find();
    }
    return name;
  }

  function delay(fd, position, length, kind) {
    const name = deviceOf(fd);
    if (!name || !(length > 0)) return 0;
    return delayFor(facts, state, name, Number(position ?? 0), length, kind, Date.now());
  }
  // delays are cloud milliseconds: a timer waits them (clock-preload.js scales it), a blocking wait converts them
  const block = (ms) => ms > 0 && (process.lifeboatClock ? process.lifeboatClock.blockFor(ms) : Atomics.wait(sleeper, 0, 0, ms));
  const later = (ms) => new Promise((r) => (ms > 0 ? setTimeout(r, ms) : r()));
  // (fd, buffer, offset, length, position) and (fd, buffer, { offset, length, position }) forms
  const ioArgs = (buffer, a, b, c) =>
    typeof a === 'object' && a !== null
      ? { length: a.length ?? buffer.byteLength - (a.offset ?? 0), position: a.position }
      : { length: b ?? buffer.byteLength - (a ?? 0), position: c };
  for (const [sync, async, kind] of [
    ['readSync', 'read', 'read'],
    ['writeSync', 'write', 'write'],
  ]) {
    const realSync = fs[sync];
    fs[sync] = function (fd, buffer, a, b, c) {
      if (typeof buffer !== 'string') {
        const io = ioArgs(buffer, a, b, c);
        block(delay(fd, io.position, io.length, kind));
      }
      return realSync.apply(this, arguments);
    };
    const realAsync = fs[async];
    fs[async] = function (fd, buffer, ...rest) {
      const callback = rest[rest.length - 1];
      if (typeof callback !== 'function' || typeof buffer === 'string' || !buffer || !ArrayBuffer.isView(buffer)) return realAsync.apply(this, arguments);
      const io = ioArgs(buffer, ...rest.slice(0, -1));
      const args = arguments;
      later(delay(fd, io.position, io.length, kind)).then(() => realAsync.apply(this, args));
    };
  }
  const realOpen = fsp.open;
  fsp.open = async function () {
    const handle = await realOpen.apply(this, arguments);
    for (const [method, kind] of [
      ['read', 'read'],
      ['write', 'write'],
    ]) {
      const real = handle[method].bind(handle);
      handle[method] = async (buffer, a, b, c) => {
        if (buffer && ArrayBuffer.isView(buffer)) {
          const io = ioArgs(buffer, a, b, c);
          await later(delay(handle.fd, io.position, io.length, kind));
        }
        return real(buffer, a, b, c);
      };
    }
    return handle;
  };
  /** What the pacing did in this process (tests read it). */
  process.lifeboatDevicePacing = () => ({ delayedMs: state.nums[2], fetchedBytes: state.nums[3], pacedBytes: state.nums[4] });
}
