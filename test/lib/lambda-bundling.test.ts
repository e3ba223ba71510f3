/**
 * Cold starts (issue 15, item 10): no function parses source maps at start, and a real step's bundle, built by
 * LifeboatFunction as `cdk synth` builds it, is minified, holds only the SDK commands its step can send, keeps its
 * source map beside it unreferenced, and still names its functions in a stack trace.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { LifeboatFunction } from '../../lib/lifeboat-function';
import { DEFAULT_HANDLERS_DIR } from '../../lib/step-lambdas';
import { STEP_ENV } from '../../runtime/core/step-env';
import { FULL_CONFIG, synthesize } from './synth-fixture';

describe('every Lambda function of the app', () => {
  it('starts without --enable-source-maps (Node would parse the map at every cold start)', () => {
    const { site, vpgs } = synthesize(FULL_CONFIG);
    const functions = [site, ...vpgs].flatMap((t) => Object.values(t.findResources('AWS::Lambda::Function')));
    expect(functions.length).toBeGreaterThan(20);
    for (const fn of functions) {
      const variables = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      expect(String(variables.NODE_OPTIONS ?? '')).not.toMatch(/source-maps/);
    }
  });
});

describe('a real step bundle (plan: EBS direct APIs, S3, and the EC2 and Service Quotas reads that size its zSATs)', () => {
  let dir: string;
  let outdir: string;
  let code: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bundling-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundling');
    const fn = new LifeboatFunction(stack, 'Plan', { entry: path.join(DEFAULT_HANDLERS_DIR, 'plan-handler.ts'), handler: 'handler' });
    const { s3Key } = stack.resolve((fn.fn.node.defaultChild as lambda.CfnFunction).code) as { s3Key: string };
    dir = path.join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
    code = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
  }, 120_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('is minified', () => {
    // esbuild's minified output breaks lines only inside template literals
    expect(code.split('\n').length).toBeLessThan(code.length / 2000);
  });

  it('holds the commands of the clients its step uses, and no other client (tree-shaken ES modules)', () => {
    expect(code).toContain('ListChangedBlocksCommand');
    expect(code).toContain('PutObjectCommand');
    // plan reads the vCPU quota and the running instances' sizes to bound the zSATs at once
    expect(code).toContain('GetServiceQuotaCommand');
    expect(code).toContain('DescribeInstanceTypesCommand');
    // the unused write commands of the clients plan uses, and the clients it does not use at all
    for (const absent of ['PutSnapshotBlockCommand', 'RunInstancesCommand', 'TerminateInstancesCommand', 'StartExecutionCommand', 'CreateBucketCommand']) {
      expect(code).not.toContain(absent);
    }
  });

  it('keeps its source map beside it, unreferenced, without the sources', () => {
    expect(code).not.toMatch(/sourceMappingURL/);
    const map = JSON.parse(fs.readFileSync(path.join(dir, 'index.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((s) => s.endsWith('runtime/core/sync/plan.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('names its functions in a stack trace (keepNames), with no source map read', () => {
    const probe = `require('./index.js').handler({}).then(() => process.exit(2), (e) => { process.stdout.write(JSON.stringify({ name: e.name, stack: e.stack })); })`;
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      [STEP_ENV.siteId]: 'site-t',
      [STEP_ENV.bucket]: 'replica',
      [STEP_ENV.zsatLaunchTemplate]: 'zsat',
    };
    const run = spawnSync(process.execPath, ['-e', probe], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    const error = JSON.parse(run.stdout) as { name: string; stack: string };
    expect(error.name).toBe('InvalidInput');
    expect(error.stack).toMatch(/plan: invalid input/);
    expect(error.stack).toMatch(/at parseStepInput \(/);
  });
});
