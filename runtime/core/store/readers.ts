/**
 * Readers of a VPG's checkpoints (test failbacks, exports) and journal compaction, kept apart without a lock:
 * each writes its own record before it looks at the other's (S3 is strongly consistent for PUT then GET/LIST),
 * so at least one of them sees the other.
 *   Reader:     PUT readers/<id> {resolving} → GET the compaction marker → choose a checkpoint the marker does
 *               not drop → PUT readers/<id> {reading, checkpointId} → read; renew while reading; DELETE at the end.
 *   Compaction: PUT its marker (what it will drop) → LIST readers → stop (a fresh run removes its marker) if a
 *               live reader is still resolving or reads a checkpoint the marker drops.
 * A reader that saw the marker avoids what it drops; one that did not is seen by the compaction. Pure here;
 * the I/O is runtime/core/failback and the journal step, over ReadersPort.
 */

export type ReaderKind = 'failback' | 'export';

export interface ReaderRecord {
  readonly format: 1;
  readonly id: string;
  readonly kind: ReaderKind;
  /** The failback execution, when a failback reads. */
  readonly executionArn?: string;
  readonly state: 'resolving' | 'reading';
  readonly checkpointId: string | null;
  readonly registeredAt: string;
  /** Renewed while reading; past it the record is stale (its reader died) and the sweeper removes it. */
  readonly expiresAt: string;
}

export interface ReaderListing {
  readonly readers: readonly ReaderRecord[];
  /** Records under readers/ that do not parse, with when they were written. */
  readonly unreadable: ReadonlyArray<{ readonly key: string; readonly lastModified: string }>;
}

/** An unreadable record blocks compaction this long after it was written (doubt keeps data), then it is ignored. */
export const UNREADABLE_READER_HOURS = 24;

export interface ReadersPort {
  putReader(vpg: string, reader: ReaderRecord): Promise<void>;
  /** Every record, stale ones included; records that do not parse are returned as `unreadable`. */
  listReaders(vpg: string): Promise<ReaderListing>;
  deleteReader(vpg: string, readerId: string): Promise<void>;
}

export function readerRecord(
  args: Omit<ReaderRecord, 'format' | 'registeredAt' | 'expiresAt'> & { now: Date; horizonSeconds: number; registeredAt?: string },
): ReaderRecord {
  const { now, horizonSeconds, registeredAt, ...rest } = args;
  return { format: 1, ...rest, registeredAt: registeredAt ?? now.toISOString(), expiresAt: new Date(now.getTime() + horizonSeconds * 1000).toISOString() };
}

export function isLive(reader: ReaderRecord, now: Date): boolean {
  return Date.parse(reader.expiresAt) > now.getTime();
}

/**
 * The live readers a compaction must yield to: any still resolving (it may choose what the marker drops), and
 * any reading a checkpoint the marker drops. A recent unreadable record counts as resolving: doubt keeps data.
 */
export function compactionBlockers(listing: ReaderListing, dropped: ReadonlySet<string>, now: Date): string[] {
  const blockers = listing.readers
    .filter((r) => isLive(r, now) && (r.state === 'resolving' || (r.checkpointId !== null && dropped.has(r.checkpointId))))
    .map((r) => `${r.kind} ${r.executionArn ?? r.id} ${r.state === 'resolving' ? 'is choosing a checkpoint' : `reads ${r.checkpointId}`}`);
  const doubtful = listing.unreadable
    .filter((u) => now.getTime() - Date.parse(u.lastModified) < UNREADABLE_READER_HOURS * 3600_000)
    .map((u) => `an unreadable reader record ${u.key}`);
  return [...blockers, ...doubtful];
}

/** Readers whose records are stale: the sweeper removes them. */
export function staleReaders(readers: readonly ReaderRecord[], now: Date): string[] {
  return readers.filter((r) => !isLive(r, now)).map((r) => r.id);
}

/** Sources a person confirmed left the VPG on purpose (`lifeboat release`): their copies may age out. */
export interface ReleasedSource {
  readonly format: 1;
  readonly sourceId: string;
  readonly releasedAt: string;
  readonly note?: string;
}

export interface ReleasesPort {
  releasedSources(vpg: string): Promise<ReleasedSource[]>;
}

/** One execution's working files: `syncs/<syncId>/` or `imports/<importId>/`, and when they last changed. */
export interface WorkingSet {
  readonly kind: 'sync' | 'import';
  readonly id: string;
  readonly lastModified: string;
}

export interface WorkingFilesPort {
  workingSets(vpg: string): Promise<WorkingSet[]>;
  /** The execution ARNs a sync's read jobs (syncs/<syncId>/jobs/) name. */
  workingJobExecutions(vpg: string, syncId: string): Promise<string[]>;
}

/** Notes that a sync which did not commit may have left packs no checkpoint references (collected by compaction). */
export interface GcNotesPort {
  /** Create-only; a note already there is fine. */
  putGcNote(vpg: string, syncId: string): Promise<void>;
  gcNotes(vpg: string): Promise<string[]>;
  deleteGcNote(vpg: string, syncId: string): Promise<void>;
}
