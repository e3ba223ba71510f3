/** `lifeboat cloud` as a child process, and its option parsers. */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvalidArgumentError } from 'commander';
import { parseFaultsOption, parsePort, parseRegion, parseTimeScale, parseVcpuQuota } from '../../bin/commands/cloud';
import { clientConfig } from '@lifeboat/offline-cloud/src/testing';

const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Spawns `lifeboat cloud`, resolving once it prints its ready line (failing if it exits first). */
function spawnCloud(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [LIFEBOAT, 'cloud', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^lifeboat cloud listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
      if (m) resolve({ child, url: m[1], stdout: () => out, exited });
    });
    void exited.then((code) => reject(new Error(`lifeboat cloud exited (${code}) before ready: ${err}`)));
  });
}

test('`lifeboat cloud --port 0 --data DIR` prints one ready line with its real port, exits 0 on SIGTERM/SIGINT, and keeps S3 data', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-cli-test-'));
  try {
    const first = await spawnCloud(['--port', '0', '--data', dataDir, '--quiet']);
    expect(Number(new URL(first.url).port)).toBeGreaterThan(0);
    const s3 = new S3Client({ ...clientConfig(first.url), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'cli-kept' }));
    await s3.send(new PutObjectCommand({ Bucket: 'cli-kept', Key: 'k', Body: 'survives' }));
    s3.destroy();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.stdout()).toBe(`lifeboat cloud listening on ${first.url}\n`);

    const second = await spawnCloud(['--port', '0', '--data', dataDir, '--quiet']);
    const s3b = new S3Client({ ...clientConfig(second.url), forcePathStyle: true });
    const listed = await s3b.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toContain('cli-kept');
    const got = await s3b.send(new GetObjectCommand({ Bucket: 'cli-kept', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('survives');
    s3b.destroy();
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad --faults value is a usage error: exit 2, naming the bad part', async () => {
  const child = spawn(process.execPath, [LIFEBOAT, 'cloud', '--faults', 'throttle=0.1,latency=fast'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toContain("bad fault spec part 'latency=fast'");
});

test('option parsers accept good values and reject bad ones as usage errors', () => {
  expect(parseVcpuQuota('64')).toBe(64);
  expect(() => parseVcpuQuota('-1')).toThrow(InvalidArgumentError);
  expect(() => parseVcpuQuota('2.5')).toThrow(InvalidArgumentError);
  expect(parsePort('0')).toBe(0);
  expect(parsePort('4566')).toBe(4566);
  for (const bad of ['70000', '-1', '12.5', 'x', '']) expect(() => parsePort(bad)).toThrow(InvalidArgumentError);
  expect(parseTimeScale('100')).toBe(100);
  expect(parseTimeScale('0.5')).toBe(0.5);
  for (const bad of ['0', '-2', 'fast']) expect(() => parseTimeScale(bad)).toThrow('time scale must be a number above 0');
  expect(parseFaultsOption('throttle=0.2,services=ec2')).toEqual({ throttleRate: 0.2, services: ['ec2'] });
  expect(() => parseFaultsOption('5xx=2')).toThrow(InvalidArgumentError);
  for (const good of ['us-east-1', 'eu-west-3', 'ap-southeast-2', 'us-gov-west-1']) expect(parseRegion(good)).toBe(good);
  for (const bad of ['us-east', 'EU-WEST-1', 'mars-north-1x', '']) expect(() => parseRegion(bad)).toThrow(InvalidArgumentError);
});
