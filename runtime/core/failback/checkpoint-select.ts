/**
 * Choosing a checkpoint from what a person typed: `latest`, a checkpoint id, or a point in time (ISO 8601:
 * the newest checkpoint at or before it). Pure; shared by export and failback. When nothing matches, the
 * error names the nearest checkpoints, so the next try can be right.
 */
import { DomainError } from '../errors';

/** What selection needs of a checkpoint (CheckpointSummary and CheckpointManifest both fit). */
export interface SelectableCheckpoint {
  readonly id: string;
  readonly createdAt: string;
}

/** No checkpoint matches the spec (or the spec is not one): a usage problem, the message says what exists. */
export class CheckpointNotFound extends DomainError {
  override readonly name: string = 'CheckpointNotFound';
}

export type CheckpointSpecKind = 'latest' | 'id' | 'time';

/** How a spec will be read: ids first (an id is never a valid time), then times. */
export function checkpointSpecKind(spec: string): CheckpointSpecKind {
  const s = spec.trim();
  if (s === '' || s.toLowerCase() === 'latest') return 'latest';
  if (/^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s))) return 'time';
  return 'id';
}

/**
 * @param checkpoints every committed checkpoint of the VPG (any order)
 * @param spec 'latest' (or empty), a checkpoint id, or an ISO time
 */
export function resolveCheckpoint<T extends SelectableCheckpoint>(checkpoints: readonly T[], spec: string): T {
  const sorted = [...checkpoints].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  if (sorted.length === 0) throw new CheckpointNotFound('there are no committed checkpoints yet (run a sync first)');
  const wanted = spec.trim();
  switch (checkpointSpecKind(wanted)) {
    case 'latest':
      return sorted[sorted.length - 1];
    case 'id': {
      const hit = sorted.find((c) => c.id === wanted);
      if (hit) return hit;
      throw new CheckpointNotFound(`no checkpoint ${wanted}; ${describeNearest(sorted, timeOfId(wanted))}`);
    }
    case 'time': {
      const at = Date.parse(wanted);
      let best: T | undefined;
      for (const c of sorted) if (Date.parse(c.createdAt) <= at) best = c;
      if (best) return best;
      const oldest = sorted[0];
      throw new CheckpointNotFound(`no checkpoint at or before ${new Date(at).toISOString()}; the oldest is ${label(oldest)}`);
    }
  }
}

/** The ISO time a `cp-<yyyymmddThhmmssZ>-…` id encodes, in ms; null for anything else. */
function timeOfId(id: string): number | null {
  const m = /^cp-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  if (!m) return null;
  const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(t) ? null : t;
}

function label(c: SelectableCheckpoint): string {
  return `${c.id} (${c.createdAt})`;
}

/** The checkpoints just before and after a time; without a time, the newest few. */
function describeNearest(sorted: readonly SelectableCheckpoint[], at: number | null): string {
  if (at === null) {
    const newest = sorted.slice(-3).reverse();
    return `the newest ${newest.length === 1 ? 'is' : 'are'}: ${newest.map(label).join(', ')}`;
  }
  const before = [...sorted].reverse().find((c) => Date.parse(c.createdAt) <= at);
  const after = sorted.find((c) => Date.parse(c.createdAt) > at);
  const parts = [before && `nearest before: ${label(before)}`, after && `nearest after: ${label(after)}`].filter(Boolean);
  return parts.join('; ');
}
