/**
 * CompactJournal (after Commit, before Cleanup; in a split site, the recovery site's journal run instead:
 * runtime/core/journal/journal-run.ts): checkpoints older than the VPG's journal retention are dropped.
 * Order, so that a crash at any point leaves only garbage, never a manifest pointing at a missing pack:
 *   1. marker (what will be deleted)  2. the oldest kept checkpoint rewritten as a full map
 *   3. dropped manifests, newest first, each before its summary  4. dead packs, each index before its data
 *   5. marker removed.
 * It runs under the VPG's lease (no other sync, compaction or live failback writes meanwhile) and yields to
 * readers (test failbacks, exports) by the protocol of runtime/core/store/readers.ts: after writing its marker it
 * lists the reader records and stops if a live reader is still choosing, or reads a checkpoint it would drop.
 * The newest checkpoint holding a departed source (runtime/core/sync/departed-sources.ts) stays past the journal.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { SyncFailed } from '../errors';
import { retainedForDeparted } from './departed-sources';
import { compactionBlockers } from '../store/readers';
import {
  brokenChains,
  isJournalStore,
  journalCutoff,
  journalMarkerKey,
  needsCompaction,
  type CompactJournalOutput,
  type JournalMarker,
  type JournalStore,
} from '../store/journal';
import { planCompaction } from '../store/compaction';
import { checkpointKey, checkpointSummaryKey, packIndexKey, packKey } from '../store/format';
import type { CheckpointManifest } from '../store/port';
import { commitOutputSchema, syncInputSchema } from './schemas';
import type { StepDepsWith } from './deps';
import type { VpgRuntime } from './contract';
import { integrityStore } from './integrity-check';
import { currentLease } from '../lease/lease-guard';

/** Runs only after a commit: the sync's input plus $.commit. */
export const compactJournalInputSchema = syncInputSchema.extend({ commit: commitOutputSchema });
export type CompactJournalInput = z.output<typeof compactJournalInputSchema>;
/** What compaction itself reads of its input: the sync's CompactJournal state and a journal run both give it. */
export interface CompactionInput {
  readonly vpg: Pick<VpgRuntime, 'name' | 'journalHours'>;
}

/** One exact key: deletePrefix of a full key name deletes that object alone (no key extends another here). */
async function deleteKey(store: JournalStore, key: string): Promise<void> {
  await store.deletePrefix(key);
}

export async function compactJournal(input: CompactionInput, deps: StepDepsWith<'store' | 'readers' | 'lease'>): Promise<CompactJournalOutput> {
  const vpg = input.vpg.name;
  const store = deps.store;
  if (!isJournalStore(store)) throw new SyncFailed('journal compaction needs a replica store that lists pack indexes');
  const cutoff = journalCutoff(deps.now(), input.vpg.journalHours);
  const nothing = { cutoff, dropped: [], oldestKept: null, rewritten: null, packsDeleted: 0, bytesFreed: 0, partlyLivePacks: 0, resumed: false };

  const summaries = await store.listCheckpoints(vpg);
  const previous = await store.getJson<JournalMarker>(journalMarkerKey(vpg));
  // syncs that failed (or were stopped) may have left packs nothing references: collect them too
  const gcNotes = await deps.readers.gcNotes(vpg);
  if (!previous && gcNotes.length === 0 && !needsCompaction(summaries, cutoff)) {
    return { ...nothing, skipped: false, oldestKept: summaries[0]?.id ?? null };
  }

  const manifests: CheckpointManifest[] = [];
  for (const s of summaries) {
    const m = await store.getCheckpoint(vpg, s.id);
    if (m) manifests.push(m); // a manifest deleted since the listing is one a crashed run dropped
  }
  const { indexes: packs, objects } = await integrityStore(store).packIndexes(vpg);
  const released = new Set((await deps.readers.releasedSources(vpg)).map((r) => r.sourceId));
  // a pack written since this lease was taken may be a writer's still at work (a stopped sync's zSAT): never deleted
  const since = Date.parse((await currentLease(deps, vpg))?.acquiredAt ?? deps.now().toISOString());
  const settled = new Set(objects.filter((o) => o.lastModified !== null && Date.parse(o.lastModified) < since).map((o) => o.packId));
  const plan = planCompaction(vpg, manifests, cutoff, new Map(packs), { retain: retainedForDeparted(manifests, released), deletable: settled });
  const dropped = new Set(plan.dropped);
  const kept = manifests.filter((m) => !dropped.has(m.id)).map((m) => (m.id === plan.rewritten?.id ? plan.rewritten : m));
  const problems = brokenChains(kept);
  if (problems.length > 0) throw new SyncFailed(`journal compaction refused: ${problems.join('; ')}`);

  // Finish what an interrupted run left half-done: summaries whose manifest is gone, packs whose index is gone.
  const listed = new Set(manifests.map((m) => m.id));
  const orphanSummaries = (previous?.dropped ?? []).filter((id) => !listed.has(id));
  const orphanPacks = (previous?.packs ?? []).filter((id) => !packs.has(id));
  const marker: JournalMarker = {
    format: 1,
    startedAt: deps.now().toISOString(),
    cutoff,
    dropped: [...new Set([...orphanSummaries, ...plan.dropped])],
    packs: [...new Set([...orphanPacks, ...plan.deletablePacks])],
  };
  await store.putJson(journalMarkerKey(vpg), marker);

  // readers: the marker is written, so a reader registering from now on avoids what it drops; those already
  // registered are seen here (S3 lists strongly consistently after a PUT)
  const blockers = compactionBlockers(await deps.readers.listReaders(vpg), new Set(marker.dropped), deps.now());
  if (blockers.length > 0) {
    // a fresh marker has had nothing deleted under it: take it back; a resumed one stays for the next run
    if (!previous) await deleteKey(store, journalMarkerKey(vpg));
    deps.log.info('journal compaction waits for readers', { blockers });
    return {
      ...nothing,
      skipped: true,
      reason: `journal compaction of VPG ${vpg} waits for its next run (the next sync; in a split site, the next journal run): ${blockers.join('; ')}`,
    };
  }

  if (plan.rewritten) {
    await store.replaceCheckpoint(plan.rewritten);
    deps.log.info('journal: oldest kept checkpoint rewritten as a full map', { checkpointId: plan.rewritten.id });
  }
  for (const id of [...plan.dropped].reverse()) {
    await deleteKey(store, checkpointKey(vpg, id));
    await deleteKey(store, checkpointSummaryKey(vpg, id));
  }
  for (const id of orphanSummaries) await deleteKey(store, checkpointSummaryKey(vpg, id));

  let bytesFreed = 0;
  for (const packId of marker.packs) {
    await deleteKey(store, packIndexKey(vpg, packId));
    await deleteKey(store, packKey(vpg, packId));
    bytesFreed += packs.get(packId)?.blocks.reduce((n, b) => n + b.length, 0) ?? 0;
  }
  await deleteKey(store, journalMarkerKey(vpg));
  for (const syncId of gcNotes) await deps.readers.deleteGcNote(vpg, syncId);

  const out: CompactJournalOutput = {
    skipped: false,
    cutoff,
    dropped: plan.dropped,
    oldestKept: plan.oldestKept,
    rewritten: plan.rewritten?.id ?? null,
    packsDeleted: marker.packs.length,
    bytesFreed,
    partlyLivePacks: plan.partlyLivePacks.length,
    resumed: previous !== null,
  };
  deps.log.info('journal compacted', { ...out, dropped: out.dropped.length });
  return out;
}
