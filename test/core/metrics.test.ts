/** EMF documents (the shape CloudWatch Logs extracts metrics from) and the RPO status rules. */
import {
  beginMetrics,
  commitMetrics,
  emfDocument,
  failureMetrics,
  METRICS_NAMESPACE,
  probeMetrics,
  rpoSeconds,
  type EmfDocument,
} from '../../runtime/core/monitoring/metrics';
import { rpoStatus, rpoTarget } from '../../runtime/core/monitoring/metrics-rpo';

const scope = { site: 'site-a', vpg: 'web' };
const now = new Date('2026-11-25T12:00:00Z');

/** What CloudWatch requires of an EMF line: every declared metric is a number at the top level, every dimension a string. */
function expectValidEmf(doc: EmfDocument): Record<string, number> {
  const parsed = JSON.parse(JSON.stringify(doc)) as EmfDocument;
  expect(parsed._aws.Timestamp).toBe(now.getTime());
  expect(parsed._aws.CloudWatchMetrics).toHaveLength(1);
  const [directive] = parsed._aws.CloudWatchMetrics;
  expect(directive.Namespace).toBe(METRICS_NAMESPACE);
  expect(directive.Dimensions).toEqual([['Site', 'Vpg']]);
  expect(parsed.Site).toBe('site-a');
  expect(parsed.Vpg).toBe('web');
  const values: Record<string, number> = {};
  for (const m of directive.Metrics) {
    expect(typeof parsed[m.Name]).toBe('number');
    expect(['Seconds', 'Bytes', 'Count']).toContain(m.Unit);
    values[m.Name] = parsed[m.Name] as number;
  }
  return values;
}

describe('EMF documents', () => {
  it('declare each metric with its unit and carry its value beside the dimensions', () => {
    const doc = emfDocument(scope, { BytesRead: 1024, SyncFailures: 0 }, now);
    expect(doc._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'BytesRead', Unit: 'Bytes' },
      { Name: 'SyncFailures', Unit: 'Count' },
    ]);
    expect(expectValidEmf(doc)).toEqual({ BytesRead: 1024, SyncFailures: 0 });
  });

  it('leave out metrics with no finite value rather than publishing a broken line', () => {
    const doc = emfDocument(scope, { RpoSeconds: undefined, BytesRead: Number.NaN, BytesStored: 5 }, now);
    expect(expectValidEmf(doc)).toEqual({ BytesStored: 5 });
    expect(doc).not.toHaveProperty('RpoSeconds');
  });

  it('Begin publishes the age of the newest checkpoint, and nothing before the first', () => {
    expect(expectValidEmf(beginMetrics(scope, '2026-11-25T11:45:00Z', now)!)).toEqual({ RpoSeconds: 900 });
    expect(beginMetrics(scope, undefined, now)).toBeNull();
  });

  it('Commit publishes the fresh RPO, the duration, bytes, blocks changed and zero failures', () => {
    const doc = commitMetrics(
      scope,
      { checkpointAt: '2026-11-25T11:58:30Z', startedAt: '2026-11-25T11:58:00Z', bytesRead: 10, bytesStored: 4, blocksChanged: 3 },
      now,
    );
    expect(expectValidEmf(doc)).toEqual({ RpoSeconds: 90, SyncDurationSeconds: 120, BytesRead: 10, BytesStored: 4, BlocksChanged: 3, SyncFailures: 0 });
  });

  it('a failure counts one and still publishes the growing RPO', () => {
    expect(expectValidEmf(failureMetrics(scope, '2026-11-25T10:00:00Z', now))).toEqual({ SyncFailures: 1, RpoSeconds: 7200 });
    expect(expectValidEmf(failureMetrics(scope, undefined, now))).toEqual({ SyncFailures: 1 });
  });

  it('the probe publishes the RPO and running executions', () => {
    expect(expectValidEmf(probeMetrics(scope, { lastCheckpointAt: '2026-11-25T11:59:00Z', runningSyncs: 1, runningFailbacks: 0 }, now))).toEqual({
      RpoSeconds: 60,
      RunningSyncs: 1,
      RunningFailbacks: 0,
    });
  });

  it('RPO is whole seconds, never negative, null without a (valid) checkpoint time', () => {
    expect(rpoSeconds('2026-11-25T11:59:58.400Z', now)).toBe(1);
    expect(rpoSeconds('2026-11-25T12:00:05Z', now)).toBe(0);
    expect(rpoSeconds(null, now)).toBeNull();
    expect(rpoSeconds('not a time', now)).toBeNull();
  });
});

describe('RPO status', () => {
  const target = rpoTarget(15, 2);
  it('targets the sync interval and alarms at the multiple', () => {
    expect(target).toEqual({ targetSeconds: 900, alarmSeconds: 1800 });
    expect(rpoTarget(10, 1.5).alarmSeconds).toBe(900);
  });
  it.each([
    [null, 'never'],
    [0, 'ok'],
    [900, 'ok'],
    [901, 'late'],
    [1800, 'late'],
    [1801, 'breached'],
  ] as const)('%p seconds → %s', (rpo, status) => {
    expect(rpoStatus(rpo, target)).toBe(status);
  });
});
