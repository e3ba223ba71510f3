/** Pure helpers for the benchmark's figures: rates, repeated samples, ratios. */

export interface Samples {
  /** The best (highest) rate: the machine is shared, so slower runs measure other people's load. */
  readonly best: number;
  readonly median: number;
  readonly worst: number;
  readonly runs: number;
}

export function mibPerSecond(bytes: number, seconds: number): number {
  if (!(seconds > 0)) throw new Error(`a duration must be positive, got ${seconds}`);
  return bytes / (1024 * 1024) / seconds;
}

export function summarize(values: readonly number[]): Samples {
  if (values.length === 0) throw new Error('no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { best: sorted[sorted.length - 1], median, worst: sorted[0], runs: sorted.length };
}

/** a ÷ b rounded to 2 decimals (the printed and JSON form of every ratio). */
export function ratio(a: number, b: number): number {
  if (!(b > 0)) throw new Error(`cannot divide by ${b}`);
  return Math.round((a / b) * 100) / 100;
}

export function formatSamples(s: Samples, unit = 'MiB/s'): string {
  return `${s.best.toFixed(0)} ${unit} best of ${s.runs} (median ${s.median.toFixed(0)}, worst ${s.worst.toFixed(0)})`;
}
