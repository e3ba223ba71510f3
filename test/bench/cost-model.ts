/**
 * The cost model (pure): the monthly cost of protecting one server with Lifeboat, from the counts the
 * benchmark measured per sync, beside AWS Elastic Disaster Recovery's for the same server. Prices are
 * AWS list prices, us-east-1, kept here once (docs/performance.md prints the same table).
 */

export const PRICES = {
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerGbSecond: 0.0000166667,
  lambdaPerRequest: 0.2 / 1_000_000,
  ec2C6iLargePerHour: 0.085,
  ec2MinimumBilledSeconds: 60,
  ebsGp3PerGbMonth: 0.08,
  ebsSnapshotPerGbMonth: 0.05,
  ebsDirectGetPerRequest: 0.003 / 1000,
  ebsDirectListPerRequest: 0.0006 / 1000,
  s3PerGbMonth: 0.023,
  s3PutPerRequest: 0.005 / 1000,
  s3GetPerRequest: 0.0004 / 1000,
  drsPerSourceServerHour: 0.028,
  /** t3.small, the DRS replication server, shared between source servers. */
  ec2T3SmallPerHour: 0.0208,
} as const;

export const HOURS_PER_MONTH = 730;
const GiB = 1024 ** 3;

/** The protected server of the issue: 2 volumes of 100 GiB, 5% daily change, a sync every 15 minutes. */
export interface Workload {
  readonly volumes: number;
  readonly volumeGiB: number;
  readonly dailyChange: number;
  readonly syncIntervalMinutes: number;
  /** Hours of checkpoints kept (the journal): that much change is stored beside the full copy. */
  readonly journalHours: number;
}

export const ISSUE_WORKLOAD: Workload = { volumes: 2, volumeGiB: 100, dailyChange: 0.05, syncIntervalMinutes: 15, journalHours: 24 };

/** What one sync of that server costs in counted units (from the benchmark's measurements). */
export interface PerSyncCounts {
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** Average billed duration of one step invocation. */
  readonly lambdaSecondsEach: number;
  readonly lambdaMemoryGb: number;
  readonly zsats: number;
  /** Boot + agent start before the first block is read (AWS: ~45 s for a c6i.large). */
  readonly zsatBootSeconds: number;
  /** The agent's read rate on the zSAT (bounded by the instance's EBS bandwidth). */
  readonly readMiBs: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  readonly ebsListCalls: number;
  readonly ebsGetCalls: number;
  /** Bytes stored ÷ bytes read (dedup and zero elision), measured. */
  readonly storedVsRead: number;
}

export interface CostLine {
  readonly item: string;
  readonly basis: string;
  readonly usd: number;
}

export interface CostSheet {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

function sheet(lines: CostLine[]): CostSheet {
  return { lines, totalUsd: lines.reduce((s, l) => s + l.usd, 0) };
}

export function syncsPerMonth(w: Workload): number {
  return (HOURS_PER_MONTH * 60) / w.syncIntervalMinutes;
}

/** Changed bytes per sync: the day's change spread evenly over the day's syncs. */
export function changedBytesPerSync(w: Workload): number {
  return (w.volumes * w.volumeGiB * GiB * w.dailyChange) / (syncsPerMonth(w) / (HOURS_PER_MONTH / 24));
}

export function lifeboatMonthly(w: Workload, c: PerSyncCounts, p = PRICES): CostSheet {
  const syncs = syncsPerMonth(w);
  const dataGb = w.volumes * w.volumeGiB;
  const deltaMiB = changedBytesPerSync(w) / 1024 ** 2;
  const zsatSeconds = Math.max(p.ec2MinimumBilledSeconds, c.zsatBootSeconds + deltaMiB / c.readMiBs);
  const journalGb = dataGb * w.dailyChange * (w.journalHours / 24) * c.storedVsRead;
  return sheet([
    { item: 'Step Functions transitions', basis: `${c.transitions} per sync × ${syncs} syncs`, usd: c.transitions * syncs * p.stepFunctionsPerTransition },
    {
      item: 'Lambda (steps)',
      basis: `${c.lambdaInvocations} invocations × ${c.lambdaSecondsEach} s × ${c.lambdaMemoryGb} GB per sync`,
      usd: syncs * c.lambdaInvocations * (c.lambdaSecondsEach * c.lambdaMemoryGb * p.lambdaPerGbSecond + p.lambdaPerRequest),
    },
    {
      item: 'EC2 zSAT (c6i.large)',
      basis: `${c.zsats} × ${zsatSeconds.toFixed(0)} s billed per sync (60 s minimum)`,
      usd: syncs * c.zsats * (zsatSeconds / 3600) * p.ec2C6iLargePerHour,
    },
    {
      item: 'EBS gp3 zSAT volumes (from the snapshot, during the read)',
      basis: `${dataGb} GB × ${zsatSeconds.toFixed(0)} s per sync`,
      usd: syncs * dataGb * p.ebsGp3PerGbMonth * (zsatSeconds / (HOURS_PER_MONTH * 3600)),
    },
    { item: 'EBS snapshots (one base per volume)', basis: `${dataGb} GB (the base holds every allocated block)`, usd: dataGb * p.ebsSnapshotPerGbMonth },
    {
      item: 'EBS direct APIs',
      basis: `${c.ebsListCalls} List + ${c.ebsGetCalls} Get per sync`,
      usd: syncs * (c.ebsListCalls * p.ebsDirectListPerRequest + c.ebsGetCalls * p.ebsDirectGetPerRequest),
    },
    {
      item: 'S3 storage (replica + journal)',
      basis: `${(dataGb * c.storedVsRead).toFixed(0)} GB copy + ${journalGb.toFixed(1)} GB of ${w.journalHours} h journal`,
      usd: (dataGb * c.storedVsRead + journalGb) * p.s3PerGbMonth,
    },
    { item: 'S3 requests', basis: `${c.s3Puts} PUT + ${c.s3Gets} GET per sync`, usd: syncs * (c.s3Puts * p.s3PutPerRequest + c.s3Gets * p.s3GetPerRequest) },
  ]);
}

/** AWS DRS for the same server: per-server fee, a share of a t3.small replication server, staging volumes, snapshots. */
export function drsMonthly(w: Workload, opts: { serversPerReplicationServer: number; snapshotRetentionDays: number }, p = PRICES): CostSheet {
  const dataGb = w.volumes * w.volumeGiB;
  const snapshotGb = dataGb + dataGb * w.dailyChange * opts.snapshotRetentionDays;
  return sheet([
    { item: 'DRS source server fee', basis: `${HOURS_PER_MONTH} h × $${p.drsPerSourceServerHour}`, usd: HOURS_PER_MONTH * p.drsPerSourceServerHour },
    {
      item: 'Replication server (t3.small, shared)',
      basis: `1/${opts.serversPerReplicationServer} of ${HOURS_PER_MONTH} h`,
      usd: (HOURS_PER_MONTH * p.ec2T3SmallPerHour) / opts.serversPerReplicationServer,
    },
    { item: 'Staging EBS gp3 volumes', basis: `${dataGb} GB, the size of the source`, usd: dataGb * p.ebsGp3PerGbMonth },
    {
      item: 'EBS snapshots (point-in-time)',
      basis: `${dataGb} GB base + ${opts.snapshotRetentionDays} days × ${dataGb * w.dailyChange} GB change`,
      usd: snapshotGb * p.ebsSnapshotPerGbMonth,
    },
  ]);
}

/** DRS assumptions printed beside its sheet: the default 7-day PIT retention; a replication server shared by 15 source servers. */
export const DRS_ASSUMPTIONS = { serversPerReplicationServer: 15, snapshotRetentionDays: 7 } as const;
