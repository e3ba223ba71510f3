/**
 * One logger (issue 16): the steps log through Powertools' Logger (runtime/handlers/step-log.ts), with the step's fields
 * and the Lambda request id on every line; EMF documents stay the top level of a line of their own; the agent's
 * own logger (runtime/agent/log.ts) writes the same field names.
 */
import * as z from 'zod';
import { AGENT_SERVICE, jsonLogger } from '../../runtime/agent/log';
import { emfDocument, METRICS_LOG_MESSAGE } from '../../runtime/core/monitoring/metrics';
import { deriveSyncId } from '../../runtime/core/sync/ids';
import type { StepLog } from '../../runtime/core/ports';
import { defineFailbackStep } from '../../runtime/handlers/failback-step-runtime';
import { jsonLog, STEP_SERVICE, type LambdaContext } from '../../runtime/handlers/step-log';
import { defineStep } from '../../runtime/handlers/step-runtime';
import { ENV, EXECUTION, SITE } from './fakes';

type Line = Record<string, unknown>;

function capture(base: Record<string, unknown> = { site: SITE }): { log: StepLog; lines: Line[] } {
  const lines: Line[] = [];
  const log = jsonLog(base, (l) => {
    expect(l).not.toContain('\n');
    lines.push(JSON.parse(l) as Line);
  });
  return { log, lines };
}

const context = (requestId: string): LambdaContext => ({
  awsRequestId: requestId,
  functionName: 'lifeboat-site-a-web-plan',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:lifeboat-site-a-web-plan',
  memoryLimitInMB: '512',
});

const basics = (log: StepLog) => ({ env: ENV, log, now: () => new Date(), sleep: async () => {} });

const anyInput = z.object({ vpg: z.object({ name: z.string() }).optional() }).passthrough();

/** A step that logs one INFO and one WARN line, or fails. */
const talkingStep = defineStep(
  'talking',
  anyInput,
  async (input, deps) => {
    if ((input as { fail?: boolean }).fail) throw new Error('the disk caught fire');
    deps.log.info('did a thing', { volumeId: 'vol-1' });
    deps.log.warn('careful', { error: 'almost' });
    return 'ok';
  },
  { ports: () => ({}) },
);

const isoTime = (v: unknown) => typeof v === 'string' && new Date(v).toISOString() === v;

describe("a step's log lines (Powertools Logger)", () => {
  it('carry level, message, timestamp, service, the step fields and the Lambda request id of the invocation', async () => {
    const { log, lines } = capture();
    const run = talkingStep.withDeps(basics(log));
    expect(await run({ vpg: { name: 'web' }, executionId: EXECUTION }, context('req-1'))).toBe('ok');

    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'did a thing', volumeId: 'vol-1' }),
      expect.objectContaining({ level: 'WARN', message: 'careful', error: 'almost' }),
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({
        service: STEP_SERVICE,
        site: SITE,
        step: 'talking',
        vpg: 'web',
        syncId: deriveSyncId(EXECUTION),
        execution: EXECUTION,
        function_request_id: 'req-1',
        function_name: 'lifeboat-site-a-web-plan',
      });
      expect(isoTime(line.timestamp)).toBe(true);
      // Powertools' names, not the old ones
      expect(line).not.toHaveProperty('time');
      expect(line).not.toHaveProperty('msg');
    }

    // the next invocation of the same container: its own request id and fields, nothing left of the last one's
    lines.length = 0;
    const next = `${EXECUTION}-2`;
    await run({ executionId: next }, context('req-2'));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ site: SITE, step: 'talking', execution: next, syncId: deriveSyncId(next), function_request_id: 'req-2' });
      expect(line).not.toHaveProperty('vpg');
    }
  });

  it('without a Lambda context (tests, a direct call), the lines have no request id', async () => {
    const { log, lines } = capture();
    await talkingStep.withDeps(basics(log))({ vpg: { name: 'web' }, executionId: EXECUTION });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatchObject({ step: 'talking', vpg: 'web' });
      expect(line).not.toHaveProperty('function_request_id');
    }
  });

  it("a failed step's warning carries the error and the request id", async () => {
    const { log, lines } = capture();
    await expect(talkingStep.withDeps(basics(log))({ vpg: { name: 'web' }, executionId: EXECUTION, fail: true }, context('req-9'))).rejects.toThrow(
      'the disk caught fire',
    );
    expect(lines).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'step failed', error: 'Error: the disk caught fire', step: 'talking', function_request_id: 'req-9' }),
    ]);
  });

  it("the failback's lines carry its import id", async () => {
    const { log, lines } = capture();
    const step = defineFailbackStep(
      'failback-talking',
      anyInput,
      async (_input, deps) => {
        deps.log.info('imported');
        return 1;
      },
      { ports: () => ({}) },
    );
    await step.withDeps(basics(log))({ vpg: { name: 'web' }, executionId: EXECUTION, importId: 'imp-1' }, context('req-3'));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'imported',
        step: 'failback-talking',
        vpg: 'web',
        execution: EXECUTION,
        importId: 'imp-1',
        function_request_id: 'req-3',
      }),
    ]);
  });
});

describe('EMF documents in the step logs', () => {
  const doc = emfDocument({ site: SITE, vpg: 'web' }, { RpoSeconds: 120, SyncFailures: 0 }, new Date('2026-11-20T10:00:00Z'));
  const saved = process.env.POWERTOOLS_LOG_LEVEL;
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = saved;
  });

  it('are the top level of their line, as CloudWatch reads them, even when the log level leaves INFO lines out', () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
    const { log, lines } = capture();
    log.info('an INFO line the level leaves out');
    log.info(METRICS_LOG_MESSAGE, { ...doc });
    log.warn('a WARN line');
    expect(lines.map((l) => l.message)).toEqual([METRICS_LOG_MESSAGE, 'a WARN line']);
    const [metrics] = lines;
    expect(metrics._aws).toEqual(doc._aws);
    expect(metrics).toMatchObject({ level: 'INFO', Site: SITE, Vpg: 'web', RpoSeconds: 120, SyncFailures: 0, site: SITE });
  });

  it("go to process.stdout as one bare JSON line each, through Powertools' own Console, not the global console", () => {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const consoles = (['log', 'info', 'warn', 'error'] as const).map((m) => jest.spyOn(console, m));
    try {
      const log = jsonLog({ site: SITE });
      log.info(METRICS_LOG_MESSAGE, { ...doc });
      log.warn('a WARN line', { why: 'because' });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    for (const c of consoles) {
      expect(c).not.toHaveBeenCalled();
      c.mockRestore();
    }
    expect(out).toHaveLength(1);
    expect(out[0].endsWith('}\n')).toBe(true);
    expect(out[0].slice(0, -1)).not.toContain('\n');
    const line = JSON.parse(out[0]) as Line;
    expect(line._aws).toEqual(doc._aws);
    expect(line).toMatchObject({ level: 'INFO', message: METRICS_LOG_MESSAGE, Site: SITE, Vpg: 'web', RpoSeconds: 120 });
    // Powertools' Console writes WARN (and ERROR) to stderr
    expect(err.map((l) => JSON.parse(l) as Line)).toEqual([expect.objectContaining({ level: 'WARN', message: 'a WARN line', why: 'because', site: SITE })]);
  });
});

describe("the agent's log lines", () => {
  it("have the steps' field names: level in upper case, message, timestamp, service", () => {
    const written: string[] = [];
    const agent = jsonLogger({ vpg: 'web' }, (l) => written.push(l));
    agent.info('reading volume', { volumeId: 'vol-1' });
    agent.warn('slow');
    agent.child({ jobId: 'job-0' }).error('job failed', { error: 'boom', message: 'not the message', level: 'DEBUG' });
    const lines = written.map((l) => {
      expect(l.endsWith('\n')).toBe(true);
      return JSON.parse(l) as Line;
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'reading volume', service: AGENT_SERVICE, vpg: 'web', volumeId: 'vol-1' }),
      expect.objectContaining({ level: 'WARN', message: 'slow', service: AGENT_SERVICE, vpg: 'web' }),
      // as in Powertools, a field cannot replace level or message
      expect.objectContaining({ level: 'ERROR', message: 'job failed', service: AGENT_SERVICE, vpg: 'web', jobId: 'job-0', error: 'boom' }),
    ]);
    for (const line of lines) expect(isoTime(line.timestamp)).toBe(true);

    // the same first fields, in the same order, as a line of the steps' Powertools Logger
    const { log, lines: stepLines } = capture();
    log.info('a step line');
    const head = (line: Line) => Object.keys(line).slice(0, 4);
    expect(head(stepLines[0])).toEqual(['level', 'message', 'timestamp', 'service']);
    for (const line of lines) expect(head(line)).toEqual(head(stepLines[0]));
  });
});
