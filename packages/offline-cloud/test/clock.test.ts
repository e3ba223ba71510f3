/**
 * The offline cloud's one clock (src/clock.ts) and the preload that puts a child process on it
 * (src/clock-preload.js): linear in real time at its scale, continuous when the scale changes,
 * never back after a restore; timers re-armed for a new scale; a child's Date and timers follow it.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { CLOCK_FILE_VARIABLE, CLOCK_PRELOAD, CloudClock, CloudTimers } from '../src/clock';
import { startTestCloud, type TestCloud } from '../src/testing';

test('the clock runs at its scale: cloud time is the anchor plus real time elapsed times the scale', () => {
  const clock = new CloudClock({ scale: 100 });
  const a = clock.anchor();
  const realBefore = Date.now();
  const cloud = clock.now();
  const realAfter = Date.now();
  expect(cloud).toBeGreaterThanOrEqual(a.cloudMs + (realBefore - a.realMs) * 100);
  expect(cloud).toBeLessThanOrEqual(a.cloudMs + (realAfter - a.realMs) * 100);
  expect(clock.realDelay(60_000)).toBe(600);
  expect(clock.realDelay(150)).toBe(2); // rounded up: a timer never fires before its cloud time
});

test('a new scale keeps cloud time continuous (it never goes back) and bad scales are refused', () => {
  const clock = new CloudClock({ scale: 1000 });
  const before = clock.now();
  clock.setScale(1);
  expect(clock.now()).toBeGreaterThanOrEqual(before);
  for (const bad of [0, -1, Number.NaN, Infinity]) expect(() => clock.setScale(bad)).toThrow('time scale must be a number above 0');
});

test('a restored clock goes on from its saved time when that is later than now, and never goes back', () => {
  const ahead = Date.now() + 10 * 86_400_000;
  const clock = new CloudClock();
  clock.restore({ cloudMs: ahead });
  expect(clock.now()).toBeGreaterThanOrEqual(ahead);
  // no wall-clock tolerance: a saved time in the past leaves the clock at real time or later, never behind it
  const realBefore = Date.now();
  const later = new CloudClock();
  later.restore({ cloudMs: realBefore - 86_400_000 });
  expect(later.now()).toBeGreaterThanOrEqual(realBefore);
});

test('a timer armed for a cloud time fires after a new scale makes it near, not at its old real delay', async () => {
  const clock = new CloudClock();
  const timers = new CloudTimers(clock);
  try {
    const fired = new Promise<number>((resolve) => timers.at(clock.now() + 3_600_000, () => resolve(clock.now())));
    const armedAt = clock.now();
    clock.setScale(3_600_000); // an hour of cloud time per real millisecond
    expect(await fired).toBeGreaterThanOrEqual(armedAt + 3_600_000);
  } finally {
    timers.close();
  }
});

describe('a child process on the cloud clock (clock-preload.js)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-clock-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function runChild(clock: CloudClock, script: string): Record<string, unknown> {
    clock.publishTo(dir);
    const out = execFileSync(process.execPath, ['--require', CLOCK_PRELOAD, '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '', ...clock.childEnvironment() },
      encoding: 'utf8',
    });
    return JSON.parse(out) as Record<string, unknown>;
  }

  test('its Date answers cloud time in every form, and Date objects stay Dates', () => {
    const clock = new CloudClock();
    clock.restore({ cloudMs: Date.now() + 30 * 86_400_000 }); // thirty days ahead of this machine
    const before = clock.now();
    const seen = runChild(
      clock,
      `console.log(JSON.stringify({ now: Date.now(), made: new Date().getTime(), text: Date(), isDate: new Date(0) instanceof Date, epoch: new Date(0).getTime(), parsed: Date.parse('2026-01-01T00:00:00Z') }))`,
    );
    const after = clock.now();
    for (const t of [seen.now, seen.made] as number[]) {
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(after);
    }
    expect(new Date(seen.text as string).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(seen).toMatchObject({ isDate: true, epoch: 0, parsed: Date.UTC(2026, 0, 1) });
  });

  test('its timers wait cloud milliseconds: a one-hour setTimeout at scale 1e6 passes an hour of its Date', () => {
    const clock = new CloudClock({ scale: 1_000_000 });
    const seen = runChild(
      clock,
      `const t0 = Date.now(); setTimeout(() => { const t1 = Date.now(); require('node:timers/promises').setTimeout(3600000).then(() => console.log(JSON.stringify({ timer: t1 - t0, promised: Date.now() - t1 }))); }, 3600000);`,
    );
    expect(seen.timer).toBeGreaterThanOrEqual(3_600_000);
    expect(seen.promised).toBeGreaterThanOrEqual(3_600_000);
  });

  test('its timers armed before a new scale end at their cloud deadline: setTimeout, setInterval, timers/promises, a blocked thread', async () => {
    const clock = new CloudClock({ scale: 10 });
    clock.publishTo(dir);
    const HOUR = 3_600_000;
    // each form waits an hour of cloud time, armed at scale 10 (six real minutes); then the scale goes up
    const script = `
      const { Worker } = require('node:worker_threads');
      const t0 = Date.now();
      const seen = {};
      const done = (k) => { seen[k] = Date.now() - t0; if (Object.keys(seen).length === 4) { console.log(JSON.stringify(seen)); process.exit(0); } };
      setTimeout(() => done('timeout'), ${HOUR});
      const i = setInterval(() => { clearInterval(i); done('interval'); }, ${HOUR});
      require('node:timers/promises').setTimeout(${HOUR}).then(() => done('promised'));
      const blocking = 'const { parentPort } = require("node:worker_threads"); parentPort.postMessage("blocking"); process.lifeboatClock.blockFor(${HOUR}); parentPort.postMessage("done")';
      new Worker(blocking, { eval: true }).on('message', (m) => (m === 'done' ? done('blocked') : console.log('armed')));`;
    const child = spawn(process.execPath, ['--require', CLOCK_PRELOAD, '-e', script], {
      env: { ...process.env, NODE_OPTIONS: '', ...clock.childEnvironment() },
    });
    let out = '';
    const ended = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((out += d.toString()), out.includes('armed') && resolve())));
    clock.setScale(1000); // an hour is now 3.6 real seconds (a slice armed before it ends within 250 real ms)
    await ended;
    const seen = JSON.parse(out.slice(out.indexOf('{'))) as Record<string, number>;
    for (const k of ['timeout', 'interval', 'promised', 'blocked']) {
      // at the old scale's real delay (six real minutes) they would end some 100 cloud hours later
      expect(seen[k]).toBeGreaterThanOrEqual(HOUR);
      expect(seen[k]).toBeLessThan(2 * HOUR);
    }
  }, 60_000);

  test('without the anchor variable the preload changes nothing', () => {
    const out = execFileSync(process.execPath, ['--require', CLOCK_PRELOAD, '-e', `console.log(Date.name, typeof process.lifeboatClock)`], {
      env: { ...process.env, NODE_OPTIONS: '', [CLOCK_FILE_VARIABLE]: '' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('Date undefined');
  });
});

describe('the endpoints keep the cloud clock', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud({ timeScale: 1000 }); // a real second is about 17 cloud minutes
    await t.s3.send(new CreateBucketCommand({ Bucket: 'clock-check' }));
    await new Promise((r) => setTimeout(r, 1500)); // the cloud is now about 25 minutes ahead of this machine
  });
  afterAll(() => t.stop());

  const signedAt = (ms: number) => {
    const amz = new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
    return {
      authorization: `AWS4-HMAC-SHA256 Credential=test/${amz.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
      'x-amz-date': amz,
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    };
  };

  test("S3 refuses a request signed 15 minutes off the cloud's time (RequestTimeTooSkewed, with its ServerTime) and takes one signed at it", async () => {
    const skewed = await fetch(`${t.url}/clock-check/k`, { headers: signedAt(Date.now()) });
    expect(skewed.status).toBe(403);
    const body = await skewed.text();
    expect(body).toContain('<Code>RequestTimeTooSkewed</Code>');
    const serverTime = Date.parse(/<ServerTime>([^<]+)<\/ServerTime>/.exec(body)![1]);
    expect(serverTime).toBeGreaterThan(Date.now() + 15 * 60_000);
    const current = await fetch(`${t.url}/clock-check/k`, { headers: signedAt(t.cloud.ctx.clock.now()) });
    expect(current.status).toBe(404); // past the time check: the key does not exist
  });

  test("every answer's Date header says the cloud's time, S3's and EC2's alike, so an SDK corrects its offset by it", async () => {
    const before = t.cloud.ctx.clock.now();
    const s3 = await fetch(`${t.url}/clock-check/k`, { headers: signedAt(t.cloud.ctx.clock.now()) });
    const ec2 = await fetch(`${t.url}/`, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    });
    for (const res of [s3, ec2]) {
      const date = Date.parse(res.headers.get('date')!);
      expect(date).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      expect(date).toBeGreaterThan(Date.now() + 15 * 60_000);
    }
    // this process's own client signs with this machine's time: the SDK corrects its clock offset from the answer
    await expect(t.s3.send(new GetObjectCommand({ Bucket: 'clock-check', Key: 'k' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { clockSkewCorrected: true },
    });
  });
});
