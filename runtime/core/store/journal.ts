/**
 * The journal: how long a VPG's checkpoints are kept, and the pure parts of compacting it (the step that
 * does the I/O is runtime/core/sync/compact-journal.ts). Compaction runs inside a sync, after its commit, so it
 * holds the VPG's sync lock: no reader is writing packs meanwhile.
 *
 * Crash safety: before deleting anything the step writes a marker (journalMarkerKey) naming what it decided
 * to delete. A re-run finishes only what is provably half-done (manifests already gone whose summaries are
 * left, packs whose index is already gone): anything still visible is decided afresh.
 */
import type { PackIndex } from './pack-index';
import type { CheckpointManifest, ReplicaStorePort } from './port';
import { vpgPrefix } from './format';
import { failbackStateMachineName } from '../resource-names';

/** The store operations compaction needs beyond the port (S3ReplicaStore has them). */
export interface JournalStore extends ReplicaStorePort {
  /** Every pack index of the VPG, by pack id. */
  listPackIndexes(vpg: string): Promise<Map<string, PackIndex>>;
  /** Replace a kept checkpoint's manifest and summary only if unchanged since read (If-Match). */
  replaceCheckpoint(manifest: CheckpointManifest): Promise<void>;
}

export function isJournalStore(store: ReplicaStorePort): store is JournalStore {
  const s = store as Partial<JournalStore>;
  return typeof s.listPackIndexes === 'function' && typeof s.replaceCheckpoint === 'function';
}

/** Compaction in progress (deleted when it finishes). */
export interface JournalMarker {
  readonly format: 1;
  readonly startedAt: string;
  readonly cutoff: string;
  /** Checkpoints being dropped. */
  readonly dropped: readonly string[];
  /** Packs being deleted (index first, then data). */
  readonly packs: readonly string[];
}

export function journalMarkerKey(vpg: string): string {
  return `${vpgPrefix(vpg)}journal/compaction.json`;
}

/** Checkpoints created before this go (the newest always stays). */
export function journalCutoff(now: Date, journalHours: number): string {
  if (!(journalHours > 0)) throw new Error(`journal retention must be positive hours, not ${journalHours}`);
  return new Date(now.getTime() - journalHours * 3600_000).toISOString();
}

/**
 * Without reading any manifest: does the journal need compacting? True when a checkpoint other than the
 * newest is older than the cut-off, or when the oldest is not a full one (parentId null ⇔ full).
 */
export function needsCompaction(summaries: ReadonlyArray<{ createdAt: string; parentId: string | null }>, cutoff: string): boolean {
  if (summaries.length === 0) return false;
  const cut = Date.parse(cutoff);
  if (summaries.length > 1 && Date.parse(summaries[0].createdAt) < cut) return true;
  return summaries[0].parentId !== null;
}

/**
 * The failback state machine of the same VPG, by name, next to the sync's: same partition, region and account.
 * `arn:aws:states:<region>:<account>:stateMachine:<name>`.
 */
export function failbackArnFor(syncStateMachineArn: string, siteId: string, vpg: string): string {
  const m = /^(arn:[^:]+:states:[^:]*:[^:]*:stateMachine:)[^:]+$/.exec(syncStateMachineArn);
  if (!m) throw new Error(`not a state machine ARN: ${syncStateMachineArn}`);
  return `${m[1]}${failbackStateMachineName(siteId, vpg)}`;
}

/**
 * Every kept delta checkpoint must have its parent among the kept ones (the rewritten oldest included):
 * otherwise dropping would break a chain. Returns the problems (empty when sound).
 */
export function brokenChains(kept: ReadonlyArray<{ id: string; parentId: string | null; full: boolean }>): string[] {
  const ids = new Set(kept.map((k) => k.id));
  return kept
    .filter((k) => !k.full && (k.parentId === null || !ids.has(k.parentId)))
    .map((k) => `checkpoint ${k.id} would lose its parent ${k.parentId ?? '(none, yet not full)'}`);
}

/** What the CompactJournal state adds to the sync's output ($.journal). */
export interface CompactJournalOutput {
  readonly skipped: boolean;
  readonly reason?: string;
  readonly cutoff: string;
  /** Checkpoints deleted (oldest first). */
  readonly dropped: readonly string[];
  readonly oldestKept: string | null;
  /** The checkpoint rewritten into a full map (no parent), if any. */
  readonly rewritten: string | null;
  readonly packsDeleted: number;
  /** Bytes of the deleted packs that their indexes account for. */
  readonly bytesFreed: number;
  /** Packs left holding dead blocks next to live ones (not rewritten). */
  readonly partlyLivePacks: number;
  /** A previous, interrupted compaction was finished. */
  readonly resumed: boolean;
}
