/**
 * The metrics of every account and region (one MetricStore each, as every regional service keeps its state:
 * ../account-regions.ts), and where they come from besides PutMetricData: the EMF log lines of the Lambda
 * functions of that account and region (emf.ts), and the services' own metrics (Step Functions' AWS/States).
 * Timestamps are the cloud clock's.
 */
import { AccountRegionStores, type StoreKey } from '../account-regions';
import type { CloudClock } from '../clock';
import { parseEmf } from './emf';
import { type MetricId, MetricStore, type MetricsState, type Sample } from './metric-store';

export class CloudWatchMetrics {
  private readonly stores: AccountRegionStores<MetricStore>;

  constructor(
    defaultKey: StoreKey,
    private readonly clock: CloudClock,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.stores = new AccountRegionStores(defaultKey, () => new MetricStore());
  }

  store(at: StoreKey): MetricStore {
    return this.stores.get(at);
  }

  put(at: StoreKey, id: MetricId, samples: Sample[]): void {
    this.stores.get(at).put(id, samples, this.clock.now());
  }

  /** One line a function wrote (stdout or stderr: Lambda sends both to its log group). */
  logLine(at: StoreKey, source: string, line: string): void {
    const result = parseEmf(line, this.clock.now());
    if (result.kind === 'invalid') this.log(`cloudwatch: ${source} logged an embedded metric format document CloudWatch would reject: ${result.reason}`);
    if (result.kind !== 'metrics') return;
    for (const m of result.metrics) this.put(at, m.id, [m.sample]);
  }

  toJSON(): unknown {
    return { version: 1, stores: this.stores.all().map(({ key, store }) => ({ ...key, state: store.state })) };
  }

  restore(saved: unknown): void {
    const s = saved as { stores?: Array<StoreKey & { state: MetricsState }> } | undefined;
    for (const entry of s?.stores ?? []) this.stores.get(entry).state = entry.state;
  }
}
