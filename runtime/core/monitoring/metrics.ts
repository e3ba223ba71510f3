/**
 * CloudWatch embedded metric format (EMF) documents, built as plain objects: a step logs one as a JSON line and
 * CloudWatch Logs turns it into metrics. Pure: no clock, no I/O. Namespace `Lifeboat`, dimensions Site and Vpg.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export const METRICS_NAMESPACE = 'Lifeboat';

/** Dimension names: one metric series per site and VPG. */
export const METRIC_DIMENSION = { site: 'Site', vpg: 'Vpg' } as const;

/** Every metric Lifeboat publishes, by name. */
export const METRIC = {
  /** Achieved RPO: seconds since the VPG's last committed checkpoint was taken. */
  rpoSeconds: 'RpoSeconds',
  /** From the execution's start to its committed checkpoint. */
  syncDurationSeconds: 'SyncDurationSeconds',
  bytesRead: 'BytesRead',
  bytesStored: 'BytesStored',
  blocksChanged: 'BlocksChanged',
  /** 1 per failed sync, 0 per committed one. */
  syncFailures: 'SyncFailures',
  /** Running executions of the VPG's sync / failback state machines (published by the RPO probe). */
  runningSyncs: 'RunningSyncs',
  runningFailbacks: 'RunningFailbacks',
  /** Protected volumes that left the VPG's selection and are not yet released by a person (published by Begin). */
  sourcesDeparted: 'SourcesDeparted',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export type MetricUnit = 'Seconds' | 'Bytes' | 'Count';

export const METRIC_UNIT: Readonly<Record<MetricName, MetricUnit>> = {
  RpoSeconds: 'Seconds',
  SyncDurationSeconds: 'Seconds',
  BytesRead: 'Bytes',
  BytesStored: 'Bytes',
  BlocksChanged: 'Count',
  SyncFailures: 'Count',
  RunningSyncs: 'Count',
  RunningFailbacks: 'Count',
  SourcesDeparted: 'Count',
};

/** The log line's fields that make it an EMF document: `_aws`, the dimension values, one property per metric. */
export type EmfDocument = Record<string, unknown> & {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: ReadonlyArray<readonly string[]>;
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: MetricUnit }>;
    }>;
  };
};

export interface MetricScope {
  readonly site: string;
  readonly vpg: string;
}

/** One EMF document for one VPG; metrics with a non-finite value are left out (CloudWatch would reject the line). */
export function emfDocument(scope: MetricScope, values: Partial<Record<MetricName, number>>, at: Date): EmfDocument {
  const entries = Object.entries(values).filter((e): e is [MetricName, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
  return {
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [[METRIC_DIMENSION.site, METRIC_DIMENSION.vpg]],
          Metrics: entries.map(([name]) => ({ Name: name, Unit: METRIC_UNIT[name] })),
        },
      ],
    },
    [METRIC_DIMENSION.site]: scope.site,
    [METRIC_DIMENSION.vpg]: scope.vpg,
    ...Object.fromEntries(entries),
  };
}

/** Whole seconds from a checkpoint's point in time to `now` (never negative); null when there is no checkpoint. */
export function rpoSeconds(lastCheckpointAt: string | null | undefined, now: Date): number | null {
  if (!lastCheckpointAt) return null;
  const at = Date.parse(lastCheckpointAt);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.floor((now.getTime() - at) / 1000));
}

/** Begin, at each start: how old the newest checkpoint is. No checkpoint yet: nothing (the alarm treats no data as breaching). */
export function beginMetrics(scope: MetricScope, lastCheckpointAt: string | null | undefined, now: Date, sourcesDeparted?: number): EmfDocument | null {
  const rpo = rpoSeconds(lastCheckpointAt, now);
  // no checkpoint yet: nothing has departed either
  return rpo === null ? null : emfDocument(scope, { RpoSeconds: rpo, SourcesDeparted: sourcesDeparted }, now);
}

export interface CommitFigures {
  /** The committed checkpoint's point in time (its snapshots' start). */
  readonly checkpointAt: string;
  /** The execution's start time. */
  readonly startedAt: string;
  readonly bytesRead: number;
  readonly bytesStored: number;
  readonly blocksChanged: number;
}

/** Commit: the new achieved RPO (age of the checkpoint just committed), the sync's duration and volume, no failure. */
export function commitMetrics(scope: MetricScope, figures: CommitFigures, now: Date): EmfDocument {
  const started = Date.parse(figures.startedAt);
  return emfDocument(
    scope,
    {
      RpoSeconds: rpoSeconds(figures.checkpointAt, now) ?? 0,
      SyncDurationSeconds: Number.isNaN(started) ? undefined : Math.max(0, (now.getTime() - started) / 1000),
      BytesRead: figures.bytesRead,
      BytesStored: figures.bytesStored,
      BlocksChanged: figures.blocksChanged,
      SyncFailures: 0,
    },
    now,
  );
}

/** CleanupFailed: one failure, and the RPO as it stands (it keeps growing while syncs fail). */
export function failureMetrics(scope: MetricScope, lastCheckpointAt: string | null | undefined, now: Date): EmfDocument {
  return emfDocument(scope, { SyncFailures: 1, RpoSeconds: rpoSeconds(lastCheckpointAt, now) ?? undefined }, now);
}

/** The RPO probe, per VPG: age of the newest checkpoint and the running executions. */
export function probeMetrics(
  scope: MetricScope,
  figures: { readonly lastCheckpointAt: string | null; readonly runningSyncs?: number; readonly runningFailbacks?: number },
  now: Date,
): EmfDocument {
  return emfDocument(
    scope,
    { RpoSeconds: rpoSeconds(figures.lastCheckpointAt, now) ?? undefined, RunningSyncs: figures.runningSyncs, RunningFailbacks: figures.runningFailbacks },
    now,
  );
}

/** The message of the log line that carries an EMF document (so people can filter them in or out). */
export const METRICS_LOG_MESSAGE = 'metrics';
