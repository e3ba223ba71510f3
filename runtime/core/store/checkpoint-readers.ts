/**
 * A reader's side of the protocol with journal compaction (runtime/core/store/readers.ts): register as
 * resolving, learn what a compaction in progress is dropping, choose among the rest, say what is being read,
 * renew while reading, and end. Used by test failbacks and by `lifeboat export`.
 */
import { journalMarkerKey, type JournalMarker } from './journal';
import type { ReplicaStorePort } from './port';
import { readerRecord, type ReaderKind, type ReadersPort } from './readers';

export interface ReaderDeps {
  readonly readers: ReadersPort;
  readonly store: Pick<ReplicaStorePort, 'getJson'>;
  readonly now: () => Date;
}

export interface ReaderIdentity {
  readonly id: string;
  readonly kind: ReaderKind;
  readonly executionArn?: string;
}

/**
 * Registers the reader (state resolving), then reads the compaction marker: the checkpoints it names are being
 * dropped and must not be chosen. The registration comes first, so a compaction that wrote its marker after this
 * read sees the registration and yields.
 */
export async function beginReading(
  deps: ReaderDeps,
  vpg: string,
  who: ReaderIdentity,
  horizonSeconds: number,
): Promise<{ dropping: Set<string>; registeredAt: string }> {
  const now = deps.now();
  await deps.readers.putReader(vpg, readerRecord({ ...who, state: 'resolving', checkpointId: null, now, horizonSeconds }));
  const marker = await deps.store.getJson<JournalMarker>(journalMarkerKey(vpg));
  return { dropping: new Set(marker?.dropped ?? []), registeredAt: now.toISOString() };
}

/** The reader has chosen: it reads `checkpointId` until `horizonSeconds` from now (renew by calling again). */
export async function markReading(
  deps: ReaderDeps,
  vpg: string,
  who: ReaderIdentity,
  checkpointId: string,
  horizonSeconds: number,
  registeredAt?: string,
): Promise<void> {
  await deps.readers.putReader(vpg, readerRecord({ ...who, state: 'reading', checkpointId, now: deps.now(), horizonSeconds, registeredAt }));
}

export async function endReading(deps: Pick<ReaderDeps, 'readers'>, vpg: string, readerId: string): Promise<void> {
  await deps.readers.deleteReader(vpg, readerId);
}
