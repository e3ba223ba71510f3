/**
 * Figure 7: each Lambda function's bundle size and cold start, against a baseline bundled in the same run the way
 * they were before issue 15: unminified, CommonJS SDK builds (every command of a client), every SDK client in every
 * function, and a linked source map that `--enable-source-maps` parses at start. Both are bundled by the project's
 * LifeboatFunction (lib/lifeboat-function.ts), so the figures are of what `cdk synth` deploys.
 *
 * A cold start here: a fresh `node` process loads the bundle (Lambda's Init phase) and runs the first invocation with
 * an event `{}`, which builds the function's SDK clients and stops at input validation (the steps) or at its first
 * AWS request, which a local server denies at once (the sweeper and the probe: a 403 is not retried, and nothing
 * leaves this machine). Node's own boot, the same for both, is not in it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
process.env.CDK_VALIDATION = 'false';
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { LifeboatFunction } from '../../lib/lifeboat-function';
import { DEFAULT_HANDLERS_DIR } from '../../lib/step-lambdas';
import { STEP_ENV } from '../../runtime/core/step-env';
import { PROBE_ENV } from '../../runtime/core/step-env';
import { ratio, summarize } from './figures';

const PROJECT = path.resolve(__dirname, '../..');

/** Every variable any function validates at cold start, with plausible values (no value reaches AWS). */
const FUNCTION_ENV: Record<string, string> = {
  [STEP_ENV.siteId]: 'bench',
  [STEP_ENV.vpg]: 'web',
  [STEP_ENV.bucket]: 'lifeboat-bench-replica',
  [STEP_ENV.bucketRegion]: 'us-east-1',
  [STEP_ENV.zsatLaunchTemplate]: 'lifeboat-bench-zsat',
  [STEP_ENV.importerLaunchTemplate]: 'lifeboat-bench-importer',
  [STEP_ENV.sweeperStateMachineArnPrefix]: 'arn:aws:states:us-east-1:123456789012:stateMachine:lifeboat-bench-',
  [STEP_ENV.sweeperVpgs]: '["web"]',
  [STEP_ENV.sweeperMinGraceMinutes]: '60',
  [STEP_ENV.sweeperDryRun]: 'true',
  [PROBE_ENV.vpgs]: 'web',
  [PROBE_ENV.stateMachineArnPrefix]: 'arn:aws:states:us-east-1:123456789012:stateMachine:',
};

/** What a Lambda sandbox adds, every endpoint the denying server (`endpoint`). */
const sandboxEnv = (endpoint: string): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: endpoint,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/** Answers every request with 403 AccessDenied, which no SDK retries. */
async function denyingServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/xml', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end('<Error><Code>AccessDenied</Code><Message>cold start bench</Message></Error>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The adapters the step runtime built in every function before each handler wired only its own ports. */
const ALL_ADAPTERS = ['ec2-adapter', 'ebs-direct', 'sfn-executions', 'sfn-sync-runs', 'ec2-recovery', 's3-replica-store', 's3-coordination', 's3-client'];

export interface BundleFigures {
  readonly bytes: number;
  /** The source map beside the bundle (never read at start), 0 when there is none. */
  readonly mapBytes: number;
  /** Median cold start, ms, and the fastest. */
  readonly coldMs: number;
  readonly fastestColdMs: number;
}

export interface FunctionFigures {
  readonly fn: string;
  readonly current: BundleFigures;
  readonly baseline: BundleFigures;
}

interface Bundle {
  readonly dir: string;
  readonly env: Record<string, string>;
}

/** The baseline's entry: the handler plus every adapter module, so every SDK client is loaded (the old step runtime imported them all). */
function baselineEntry(dir: string, handlerFile: string): string {
  const file = path.join(dir, path.basename(handlerFile));
  const aws = path.join(PROJECT, 'runtime', 'aws');
  const lines = [`export * from ${JSON.stringify(handlerFile.replace(/\.ts$/, ''))};`];
  ALL_ADAPTERS.forEach((a, i) => lines.push(`import * as a${i} from ${JSON.stringify(path.join(aws, a))};`));
  lines.push(`export const allAdapters = [${ALL_ADAPTERS.map((_, i) => `a${i}`).join(', ')}];`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const BASELINE_BUNDLING: nodejs.BundlingOptions = {
  minify: false,
  keepNames: false,
  mainFields: undefined,
  sourceMap: true,
  sourceMapMode: nodejs.SourceMapMode.DEFAULT,
  sourcesContent: true,
};

/** Bundles every `runtime/handlers/*-handler.ts` through LifeboatFunction, as deployed or as the baseline. */
function bundleAll(outdir: string, baseline: boolean): Map<string, Bundle> {
  const app = new App({ outdir });
  const stack = new Stack(app, baseline ? 'Baseline' : 'Current');
  const entries = fs.mkdtempSync(path.join(PROJECT, 'node_modules', '.cache', 'lifeboat-cold-start-'));
  const bundles = new Map<string, Bundle>();
  try {
    for (const file of fs
      .readdirSync(DEFAULT_HANDLERS_DIR)
      .filter((f) => f.endsWith('-handler.ts'))
      .sort()) {
      const handler = path.join(DEFAULT_HANDLERS_DIR, file);
      const name = file.replace(/-handler\.ts$/, '');
      const fn = new LifeboatFunction(stack, name, {
        entry: baseline ? baselineEntry(entries, handler) : handler,
        handler: 'handler',
        environment: baseline ? { ...FUNCTION_ENV, NODE_OPTIONS: '--enable-source-maps' } : FUNCTION_ENV,
        // esbuild's own report of each bundle would bury the figures
        bundling: { ...(baseline ? BASELINE_BUNDLING : {}), logLevel: nodejs.LogLevel.ERROR },
      });
      const cfn = fn.fn.node.defaultChild as lambda.CfnFunction;
      const code = stack.resolve(cfn.code) as { s3Key: string };
      const env = (stack.resolve(cfn.environment) as { variables: Record<string, string> }).variables;
      bundles.set(name, { dir: path.join(outdir, `asset.${code.s3Key.replace(/\.zip$/, '')}`), env });
    }
  } finally {
    fs.rmSync(entries, { recursive: true, force: true });
  }
  return bundles;
}

/** Runs in the fresh process: load (Init), then the first invocation; prints the two durations last (after the function's own log lines). */
const PROBE = `
const t0 = performance.now();
const mod = require('./index.js');
const t1 = performance.now();
Promise.resolve().then(() => mod.handler({})).catch(() => undefined).then(() => {
  process.stdout.write('\\n' + JSON.stringify({ init: t1 - t0, firstCall: performance.now() - t1 }));
  process.exit(0);
});`;

async function coldStartMs(bundle: Bundle, endpoint: string): Promise<number> {
  const env = { PATH: process.env.PATH ?? '', ...bundle.env, ...sandboxEnv(endpoint) };
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', PROBE], { cwd: bundle.dir, env, timeout: 60_000, encoding: 'utf8' });
  const { init, firstCall } = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { init: number; firstCall: number };
  return init + firstCall;
}

const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

export async function benchColdStarts(opts: { samples: number; log: (line: string) => void }): Promise<FunctionFigures[]> {
  const outdir = fs.mkdtempSync(path.join(PROJECT, 'node_modules', '.cache', 'lifeboat-cold-start-out-'));
  const aws = await denyingServer();
  try {
    opts.log('bundling every function twice (as deployed, and the baseline)…');
    const current = bundleAll(outdir, false);
    const baseline = bundleAll(outdir, true);
    const out: FunctionFigures[] = [];
    for (const [fn, now] of current) {
      const before = baseline.get(fn)!;
      const samples = { now: [] as number[], before: [] as number[] };
      // alternate the two, so both see the same load on this shared machine
      for (let i = 0; i < opts.samples; i++) {
        samples.now.push(await coldStartMs(now, aws.url));
        samples.before.push(await coldStartMs(before, aws.url));
      }
      const figures = (b: Bundle, s: number[]): BundleFigures => ({
        bytes: sizeOf(path.join(b.dir, 'index.js')),
        mapBytes: sizeOf(path.join(b.dir, 'index.js.map')),
        coldMs: summarize(s).median,
        fastestColdMs: Math.min(...s),
      });
      const f = { fn, current: figures(now, samples.now), baseline: figures(before, samples.before) };
      opts.log(formatFunction(f));
      out.push(f);
    }
    return out;
  } finally {
    await aws.close();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export function formatFunction(f: FunctionFigures): string {
  const c = f.current;
  const b = f.baseline;
  return (
    `${f.fn.padEnd(20)} ${kib(c.bytes).padStart(9)} (map ${kib(c.mapBytes)}, not read) vs ${kib(b.bytes)} = ${ratio(c.bytes, b.bytes)}×; ` +
    `cold start ${c.coldMs.toFixed(0)} ms (fastest ${c.fastestColdMs.toFixed(0)}) vs ${b.coldMs.toFixed(0)} ms = ${ratio(c.coldMs, b.coldMs)}×`
  );
}

/** The totals line: all bundles' bytes, and the median function's cold start ratio. */
export function formatTotals(all: readonly FunctionFigures[]): string {
  const sum = (pick: (f: FunctionFigures) => number) => all.reduce((s, f) => s + pick(f), 0);
  const ratios = all.map((f) => f.current.coldMs / f.baseline.coldMs);
  return (
    `${all.length} functions: ${kib(sum((f) => f.current.bytes))} of bundles vs ${kib(sum((f) => f.baseline.bytes))} = ${ratio(
      sum((f) => f.current.bytes),
      sum((f) => f.baseline.bytes),
    )}×; ` + `median cold start ratio ${summarize(ratios).median.toFixed(2)}× (slowest now: ${Math.max(...all.map((f) => f.current.coldMs)).toFixed(0)} ms)`
  );
}
