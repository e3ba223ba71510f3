/**
 * CloudWatch as the edge serves it: AWS JSON 1.0 with `X-Amz-Target: GraniteServiceVersion20100801.<Operation>` and
 * `x-amzn-query-mode: true`, the protocol @aws-sdk/client-cloudwatch speaks (an awsQuery-compatible JSON service:
 * errors carry the query error code in `x-amzn-query-error: CODE;Sender`), per account and region. Metrics
 * (metric-api.ts) live in the context's CloudWatchMetrics; alarms (alarm-api.ts) in an AlarmEvaluator per account
 * and region, evaluated on the cloud clock (alarm-evaluator.ts) whether or not anyone asks, and up to now before
 * every request; a region that is down evaluates nothing. A deployed role is evaluated for cloudwatch:<Operation>
 * (../iam/cloudwatch-authz.ts); a denial is AccessDenied (403).
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { AccountRegionStores, keyOf, type StoreKey } from '../account-regions';
import { CloudTimers } from '../clock';
import type { CloudContext } from '../context';
import { cloudwatchChecks } from '../iam/cloudwatch-authz';
import { evaluate, sessionArn } from '../iam/evaluate';
import { callerOf } from '../kms/index';
import { AwsError, type CloudRequest, type CloudResponse, type Service } from '../service';
import type { SnsService } from '../sns/index';
import { runActions, type Transition } from './alarm-actions';
import { alarmStateInput, deleteAlarms, describeAlarms } from './alarm-api';
import { AlarmEvaluator, type EvaluatorState } from './alarm-evaluator';
import { getMetricStatistics, listMetrics, putMetricData } from './metric-api';
import { CloudWatchMetrics } from './metrics';

const TARGET = 'GraniteServiceVersion20100801.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** Query error code → the error shape @aws-sdk/client-cloudwatch deserializes it into. */
const SHAPES: Record<string, string> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  MissingParameter: 'MissingRequiredParameterException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  ResourceNotFound: 'ResourceNotFound',
  InvalidFormat: 'InvalidFormatFault',
  InvalidNextToken: 'InvalidNextToken',
  LimitExceeded: 'LimitExceededFault',
  InternalServiceError: 'InternalServiceFault',
};

export interface CloudWatchService extends Service {
  evaluator(at: StoreKey): AlarmEvaluator;
  /** Evaluates every store up to now (the timer does it by itself; a test may call it after moving a hand-set clock). */
  evaluateNow(): Promise<void>;
  toJSON(): unknown;
  restore(state: unknown): void;
  close(): void;
}

type Operation = (input: Record<string, unknown>, at: StoreKey, now: number) => Record<string, unknown> | Transition | undefined;

export function createCloudWatchService(ctx: CloudContext, sns: SnsService): CloudWatchService {
  const metrics = ctx.metrics ?? new CloudWatchMetrics({ account: ctx.accountId, region: ctx.region }, ctx.clock, (m) => ctx.log(m));
  const stores = new AccountRegionStores<AlarmEvaluator>(
    { account: ctx.accountId, region: ctx.region },
    (k) => new AlarmEvaluator(k, () => metrics.store(k), ctx.clock.now()),
  );
  const timers = new CloudTimers(ctx.clock, { unref: true });
  let cancel: (() => void) | undefined;
  let running: Promise<void> = Promise.resolve();

  const act = async (transitions: Transition[]) => {
    for (const t of transitions) await runActions(t, { sns, outages: ctx.outages, log: (m) => ctx.log(m) });
    if (transitions.length) ctx.markDirty();
  };
  /** Evaluations run one at a time, so a transition's actions run once and in order. */
  const evaluateAll = (): Promise<void> =>
    // a failed evaluation fails its own caller, never the ones queued after it
    (running = running
      .catch(() => undefined)
      .then(async () => {
        const now = ctx.clock.now();
        for (const { key, store } of stores.all()) {
          if (ctx.outages?.isDown(key.region)) store.skipTo(now);
          else await act(store.catchUp(now));
        }
      }));
  const arm = () => {
    cancel?.();
    const due = stores
      .all()
      .map(({ store }) => store.nextDue())
      .filter((d): d is number => d !== undefined);
    if (!due.length) return;
    cancel = timers.at(Math.min(...due), () => void evaluateAll().then(arm, (err: unknown) => ctx.log(`cloudwatch: evaluation failed: ${String(err)}`)));
  };

  const operations: Record<string, Operation> = {
    PutMetricAlarm: (input, at, now) => (stores.get(at).alarms.put(input, now), {}),
    DescribeAlarms: (input, at) => describeAlarms(input, stores.get(at).alarms),
    DeleteAlarms: (input, at) => deleteAlarms(input, stores.get(at).alarms),
    SetAlarmState: (input, at, now) => {
      const { alarm, state, reason, data } = alarmStateInput(input, stores.get(at).alarms);
      return stores.get(at).setState(alarm, state, reason, data, now);
    },
    PutMetricData: (input, at, now) => (putMetricData(input, metrics.store(at), now), {}),
    GetMetricStatistics: (input, at) => getMetricStatistics(input, metrics.store(at)),
    ListMetrics: (input, at) => listMetrics(input, metrics.store(at)),
  };
  const MUTATING = new Set(['PutMetricAlarm', 'DeleteAlarms', 'SetAlarmState', 'PutMetricData']);

  const error = (status: number, code: string, message: string): CloudResponse => ({
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}`, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: `com.amazonaws.cloudwatch#${SHAPES[code] ?? code}`, message }),
  });

  return {
    names: ['monitoring'],
    throttleCode: 'Throttling',
    error,
    async handle(req: CloudRequest) {
      const target = String(req.headers['x-amz-target'] ?? '');
      const name = target.startsWith(TARGET) ? target.slice(TARGET.length) : '';
      const op = operations[name];
      if (!op)
        return error(400, 'InvalidAction', `The action ${name || target || '(none)'} is not valid for this web service (or not served by the offline cloud).`);
      let input: Record<string, unknown>;
      try {
        // the SDK gzips PutMetricData bodies of 10 KiB and more (its requestCompression trait)
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(req.body) : req.body;
        input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      } catch {
        return error(400, 'InvalidParameterValue', 'The request body is not valid JSON.');
      }
      const caller = callerOf(req, ctx.iam);
      if ('roleName' in caller) {
        const verdict = await evaluate(ctx.iam!, caller, req.region, cloudwatchChecks(name, input, req.region, req.account));
        if (!verdict.allowed) {
          const check = verdict.denied!.check;
          return error(403, 'AccessDenied', `User: ${sessionArn(caller)} is not authorized to perform: ${check.action} on resource: ${check.resource}`);
        }
      }
      const at = keyOf(req);
      stores.get(at);
      // the alarms are as they are now before anything reads or changes them
      await evaluateAll();
      try {
        const out = op(input, at, ctx.clock.now());
        if (out && 'alarm' in out) await act([out as Transition]);
        if (MUTATING.has(name)) ctx.markDirty();
        arm();
        return {
          status: 200,
          headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
          body: JSON.stringify(out && !('alarm' in out) ? out : {}),
        };
      } catch (err) {
        if (err instanceof AwsError) return error(err.status, err.code, err.message);
        throw err;
      }
    },
    evaluator: (at) => stores.get(at),
    evaluateNow: () => evaluateAll(),
    toJSON: () => ({ version: 1, stores: stores.all().map(({ key, store }) => ({ ...key, state: store.toJSON() })) }),
    restore(state: unknown) {
      const saved = state as { stores?: Array<StoreKey & { state: EvaluatorState }> } | undefined;
      for (const s of saved?.stores ?? []) stores.get(s).restore(s.state);
      arm();
    },
    close() {
      cancel?.();
      timers.close();
    },
  };
}
