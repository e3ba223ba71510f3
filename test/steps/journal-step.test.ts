/**
 * The CompactJournal step over in-memory fakes: which checkpoints drop, what is deleted and in which order,
 * yielding to readers (test failbacks, exports), idempotent re-runs, and crashes at each point followed by a re-run.
 */
import { createHash } from 'node:crypto';
import { journalMarkerKey } from '../../runtime/core/store/journal';
import { encodePackIndex, type PackIndex } from '../../runtime/core/store/pack-index';
import { checkpointIdFor, checkpointKey, checkpointSummaryKey, packIdFromIndexKey, packIndexKey, packKey, summarize } from '../../runtime/core/store/format';
import type { CheckpointManifest } from '../../runtime/core/store/port';
import type { ExecutionsPort, RunningExecution } from '../../runtime/core/ports';
import { compactJournalStep } from '../../runtime/handlers/compact-journal-handler';
import { readerRecord } from '../../runtime/core/store/readers';
import { makeWorld, MemoryStore, vpgRuntime, type World } from './fakes';
import { holdLease } from './lease-helpers';

const VPG = 'web';
const BLOCK = 512 * 1024;
const hex = (label: string) => createHash('sha256').update(label).digest('hex');
const HOUR = 3600_000;
const T0 = Date.parse('2026-11-25T00:00:00Z');
const SYNC_ARN = 'arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat-site-a-web-sync';
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-sync:run-9';
const FAILBACK = 'arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-failback:fb-1';

/** MemoryStore plus pack indexes, an operation log, and a crash switch. */
class JournalMemoryStore extends MemoryStore {
  readonly ops: string[] = [];
  crashOn: ((op: string) => boolean) | null = null;
  listings = 0;
  private check(op: string): void {
    if (this.crashOn?.(op)) {
      this.crashOn = null;
      throw new Error(`injected crash before ${op}`);
    }
    this.ops.push(op);
  }
  override async putJson(key: string, value: unknown): Promise<void> {
    this.check(`put ${key}`);
    await super.putJson(key, value);
  }
  override async deletePrefix(prefix: string): Promise<number> {
    this.check(`delete ${prefix}`);
    return super.deletePrefix(prefix);
  }
  async replaceCheckpoint(m: CheckpointManifest): Promise<void> {
    await this.commitCheckpoint(m);
  }
  /** As S3ReplicaStore does: the summary, then the manifest (the commit). */
  override async commitCheckpoint(m: CheckpointManifest): Promise<void> {
    await this.putJson(checkpointSummaryKey(m.vpg, m.id), summarize(m));
    await this.putJson(checkpointKey(m.vpg, m.id), m);
  }
  async listPackIndexes(vpg: string): Promise<Map<string, PackIndex>> {
    return (await this.packIndexes(vpg)).indexes;
  }
  override async packIndexes(vpg: string) {
    this.listings++;
    return super.packIndexes(vpg);
  }
  putPack(label: string, hashes: string[]): string {
    const id = hex(`pack:${label}`);
    this.objects.set(packKey(VPG, id), JSON.stringify({ size: hashes.length * BLOCK }));
    this.objects.set(packIndexKey(VPG, id), encodePackIndex(hashes.map((hash, i) => ({ hash, offset: i * BLOCK, length: BLOCK }))));
    return id;
  }
}

/** Five hourly checkpoints of one 8-block volume; each sync's new blocks in packs of their own. */
function populate(store: JournalMemoryStore) {
  const h = (name: string) => hex(name);
  const changes: Array<Record<string, string>> = [
    { 0: h('A0'), 1: h('A1'), 2: h('A2'), 3: h('A3') },
    { 0: h('B0'), 1: 'zero', 5: h('B5') },
    { 2: h('C2'), 5: h('C5') },
    { 0: h('D0'), 4: h('D4') },
    { 3: h('E3') },
  ];
  const packs = {
    p0: store.putPack('p0', [h('A0'), h('A1'), h('A2'), h('A3')]),
    p1a: store.putPack('p1a', [h('B0')]),
    p1b: store.putPack('p1b', [h('B5')]),
    p2: store.putPack('p2', [h('C2'), h('C5')]),
    p3: store.putPack('p3', [h('D0'), h('D4')]),
    p4: store.putPack('p4', [h('E3')]),
    failed: store.putPack('failed-sync', [h('F1')]),
  };
  const ids: string[] = [];
  changes.forEach((blocks, i) => {
    const createdAt = new Date(T0 + i * HOUR).toISOString();
    const id = checkpointIdFor(createdAt, `sync-${i}`);
    const m: CheckpointManifest = {
      format: 1,
      id,
      vpg: VPG,
      syncId: `sync-${i}`,
      createdAt,
      parentId: i === 0 ? null : ids[i - 1],
      full: i === 0,
      volumes: [
        {
          sourceVolumeId: 'vol-1',
          sourceInstanceId: 'i-1',
          device: '/dev/xvdb',
          sizeBytes: 8 * BLOCK,
          snapshotId: `snap-${i}`,
          blocksChanged: 0,
          blocksRead: 0,
          bytesStored: 0,
          blocks,
        },
      ],
    };
    store.objects.set(checkpointSummaryKey(VPG, id), JSON.stringify(summarize(m)));
    store.objects.set(checkpointKey(VPG, id), JSON.stringify(m));
    ids.push(id);
  });
  return { ids, packs };
}

/** Compaction asks Step Functions nothing: readers and the lease live in the store. */
class Executions implements ExecutionsPort {
  asked: string[] = [];
  async listRunning(arn: string): Promise<RunningExecution[]> {
    this.asked.push(arn);
    return [];
  }
  async start(arn: string): Promise<string> {
    this.asked.push(arn);
    throw new Error('compaction starts no execution');
  }
  async state(arn: string): Promise<'running' | 'ended' | 'unknown'> {
    this.asked.push(arn);
    return 'ended';
  }
}

let world: World;
let store: JournalMemoryStore;
let executions: Executions;
let ids: string[];
let packs: ReturnType<typeof populate>['packs'];

/** Journal of 3.5 h at T4 + 1 h: the cut-off falls between checkpoint 1 and 2. */
function run(journalHours = 3.5) {
  const event = {
    vpg: vpgRuntime({ journalHours }),
    executionId: EXECUTION,
    stateMachineArn: SYNC_ARN,
    startedAt: new Date(T0 + 5 * HOUR).toISOString(),
    commit: { checkpointId: ids[4], blocksPlanned: 1, blocksRead: 1, bytesRead: BLOCK, bytesStored: BLOCK },
  };
  return compactJournalStep.withDeps(journalDeps())(event);
}

/** The world's deps with this test's store, and a Step Functions fake that records every question (compaction must ask none). */
function journalDeps() {
  return { ...world.deps, store, executions };
}

async function resolvedMaps(which: string[]): Promise<Map<string, Map<number, string>>> {
  return new Map(await Promise.all(which.map(async (id) => [id, await store.resolveVolume(VPG, id, 'vol-1')] as const)));
}

const exists = (key: string) => store.objects.has(key);

/** A reader record, as a test failback writes it. */
async function reader(state: 'resolving' | 'reading', checkpointId: string | null, expiresInSeconds = 600): Promise<void> {
  await world.coordination.putReader(
    VPG,
    readerRecord({ id: 'fb-1', kind: 'failback', executionArn: FAILBACK, state, checkpointId, now: world.clock.now(), horizonSeconds: expiresInSeconds }),
  );
}

beforeEach(async () => {
  world = makeWorld();
  world.clock.ms = T0 + 5 * HOUR;
  store = new JournalMemoryStore();
  executions = new Executions();
  ({ ids, packs } = populate(store));
  await holdLease(world.deps, EXECUTION);
});

describe('CompactJournal', () => {
  it('drops the checkpoints past the cut-off, makes the oldest kept one full, deletes dead packs only', async () => {
    const before = await resolvedMaps(ids.slice(2));
    const out = await run();
    expect(out).toEqual({
      skipped: false,
      cutoff: new Date(T0 + 1.5 * HOUR).toISOString(),
      dropped: [ids[0], ids[1]],
      oldestKept: ids[2],
      rewritten: ids[2],
      packsDeleted: 2,
      bytesFreed: 2 * BLOCK,
      partlyLivePacks: 1,
      resumed: false,
    });
    for (const id of ids.slice(0, 2)) {
      expect(exists(checkpointKey(VPG, id))).toBe(false);
      expect(exists(checkpointSummaryKey(VPG, id))).toBe(false);
    }
    const oldest = (await store.getCheckpoint(VPG, ids[2]))!;
    expect(oldest).toMatchObject({ full: true, parentId: null });
    expect(oldest.volumes[0].blocks).toEqual({ 0: hex('B0'), 1: 'zero', 2: hex('C2'), 3: hex('A3'), 5: hex('C5') });
    expect(await resolvedMaps(ids.slice(2))).toEqual(before);
    // dead: B5's pack (overwritten by C5) and the failed sync's pack; A0..A2 die but A3 keeps p0 (partly live)
    for (const p of [packs.p1b, packs.failed]) expect([exists(packKey(VPG, p)), exists(packIndexKey(VPG, p))]).toEqual([false, false]);
    for (const p of [packs.p0, packs.p1a, packs.p2, packs.p3, packs.p4]) expect([exists(packKey(VPG, p)), exists(packIndexKey(VPG, p))]).toEqual([true, true]);
    expect(exists(journalMarkerKey(VPG))).toBe(false);
    expect(executions.asked).toEqual([]);
  });

  it('deletes in a crash-safe order: marker, rewrite, manifests (newest first, each before its summary), packs (index before data), marker', async () => {
    await run();
    const marker = journalMarkerKey(VPG);
    expect(store.ops).toEqual([
      `put ${marker}`,
      `put ${checkpointSummaryKey(VPG, ids[2])}`,
      `put ${checkpointKey(VPG, ids[2])}`,
      `delete ${checkpointKey(VPG, ids[1])}`,
      `delete ${checkpointSummaryKey(VPG, ids[1])}`,
      `delete ${checkpointKey(VPG, ids[0])}`,
      `delete ${checkpointSummaryKey(VPG, ids[0])}`,
      ...[packs.failed, packs.p1b].sort().flatMap((p) => [`delete ${packIndexKey(VPG, p)}`, `delete ${packKey(VPG, p)}`]),
      `delete ${marker}`,
    ]);
  });

  it('the newest checkpoint always stays, however short the journal', async () => {
    const before = await resolvedMaps([ids[4]]);
    const out = await run(0.01);
    expect(out.dropped).toEqual(ids.slice(0, 4));
    expect(out.oldestKept).toBe(ids[4]);
    expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual([ids[4]]);
    expect(await resolvedMaps([ids[4]])).toEqual(before);
  });

  it('yields to a failback reading a checkpoint it would drop: deletes nothing and takes its marker back', async () => {
    await reader('reading', ids[1]);
    const snapshot = new Map(store.objects);
    const out = await run();
    expect(out).toMatchObject({ skipped: true, dropped: [], packsDeleted: 0 });
    expect(out.reason).toMatch(new RegExp(`failback .*fb-1 reads ${ids[1]}`));
    expect(store.objects).toEqual(snapshot);
    expect(store.ops).toEqual([`put ${journalMarkerKey(VPG)}`, `delete ${journalMarkerKey(VPG)}`]);
  });

  it('yields to a reader still choosing its checkpoint (it may choose one about to go)', async () => {
    await reader('resolving', null);
    const out = await run();
    expect(out).toMatchObject({ skipped: true, dropped: [] });
    expect(out.reason).toMatch(/is choosing a checkpoint/);
  });

  it('goes on when the readers read only kept checkpoints, or their records are stale', async () => {
    await reader('reading', ids[3]);
    expect((await run()).dropped).toEqual([ids[0], ids[1]]);
  });

  it('ignores a stale reader record (its reader died long ago)', async () => {
    await reader('reading', ids[0], 60);
    world.clock.advance(120);
    expect((await run()).dropped).toEqual([ids[0], ids[1]]);
  });

  it('a resumed compaction yields to a reader too, keeping its marker for the next run', async () => {
    store.crashOn = (op) => op === `delete ${checkpointKey(VPG, ids[1])}`;
    await expect(run()).rejects.toThrow(/injected crash/);
    await reader('resolving', null);
    const out = await run();
    expect(out).toMatchObject({ skipped: true });
    expect(exists(journalMarkerKey(VPG))).toBe(true);
  });

  it('stops without deleting anything when its execution no longer holds the lease', async () => {
    const lease = world.coordination.leases.get(VPG)!;
    world.coordination.leases.set(VPG, {
      ...lease,
      value: { ...lease.value, holder: { executionArn: 'arn:other', kind: 'sync' }, token: lease.value.token + 1 },
    });
    const snapshot = new Map(store.objects);
    await expect(run()).rejects.toThrow(/LeaseLost|no longer holds the VPG's lease/);
    expect(store.objects).toEqual(snapshot);
  });

  it('collects the packs a failed sync left (its gc note) even when no checkpoint falls out of the journal', async () => {
    await world.coordination.putGcNote(VPG, 'sFailed');
    const out = await run(48);
    expect(out).toMatchObject({ dropped: [], packsDeleted: 1 });
    expect([exists(packKey(VPG, packs.failed)), exists(packIndexKey(VPG, packs.failed))]).toEqual([false, false]);
    expect(await world.coordination.gcNotes(VPG)).toEqual([]);
  });

  it("never deletes a pack written since its lease was taken (a stopped sync's zSAT may still be at work)", async () => {
    const lease = world.coordination.leases.get(VPG)!;
    world.coordination.leases.set(VPG, { ...lease, value: { ...lease.value, acquiredAt: '2025-12-31T00:00:00.000Z' } });
    const out = await run();
    expect(out.dropped).toEqual([ids[0], ids[1]]);
    expect(out.packsDeleted).toBe(0);
    for (const p of [packs.p1b, packs.failed]) expect(exists(packKey(VPG, p))).toBe(true);
  });

  it('a re-run has nothing to do and lists no packs', async () => {
    await run();
    const snapshot = new Map(store.objects);
    const listings = store.listings;
    const out = await run();
    expect(out).toMatchObject({ skipped: false, dropped: [], rewritten: null, packsDeleted: 0, oldestKept: ids[2], resumed: false });
    expect(store.objects).toEqual(snapshot);
    expect(store.listings).toBe(listings);
  });

  it('a crash between the manifest rewrite and the pack deletes, then a re-run, ends as a clean run does', async () => {
    const before = await resolvedMaps(ids.slice(2));
    store.crashOn = (op) => op.startsWith('delete') && op.endsWith('.idx.json');
    await expect(run()).rejects.toThrow(/injected crash/);
    // midway: the manifests are gone, every pack is still there, every kept checkpoint still restores
    expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual(ids.slice(2));
    expect(exists(packKey(VPG, packs.p1b))).toBe(true);
    expect(exists(journalMarkerKey(VPG))).toBe(true);
    expect(await resolvedMaps(ids.slice(2))).toEqual(before);

    const out = await run();
    expect(out).toMatchObject({ dropped: [], rewritten: null, packsDeleted: 2, resumed: true });
    for (const p of [packs.p1b, packs.failed]) expect([exists(packKey(VPG, p)), exists(packIndexKey(VPG, p))]).toEqual([false, false]);
    expect(exists(journalMarkerKey(VPG))).toBe(false);
    expect(await resolvedMaps(ids.slice(2))).toEqual(before);
  });

  it('a crash between a pack index and its data leaves garbage only, which the re-run removes', async () => {
    store.crashOn = (op) => op.startsWith('delete') && op.endsWith('.pack');
    await expect(run()).rejects.toThrow(/injected crash/);
    const first = [packs.failed, packs.p1b].sort()[0];
    expect([exists(packIndexKey(VPG, first)), exists(packKey(VPG, first))]).toEqual([false, true]);
    const out = await run();
    expect(out.resumed).toBe(true);
    const dataKeys = store.keys(`vpgs/${VPG}/packs/`).filter((k) => k.endsWith('.pack'));
    const indexed = new Set(store.keys(`vpgs/${VPG}/packs/`).map(packIdFromIndexKey).filter(Boolean));
    expect(dataKeys.filter((k) => !indexed.has(k.slice(-69, -5)))).toEqual([]);
    expect(exists(journalMarkerKey(VPG))).toBe(false);
  });

  it('a crash between a dropped manifest and its summary: the re-run removes the summary', async () => {
    store.crashOn = (op) => op === `delete ${checkpointSummaryKey(VPG, ids[1])}`;
    await expect(run()).rejects.toThrow(/injected crash/);
    expect(exists(checkpointKey(VPG, ids[1]))).toBe(false);
    expect(exists(checkpointSummaryKey(VPG, ids[1]))).toBe(true);
    // the older dropped checkpoint is still whole: every listed checkpoint resolves
    for (const c of await store.listCheckpoints(VPG)) await store.resolveVolume(VPG, c.id, 'vol-1');
    const out = await run();
    expect(out.dropped).toEqual([ids[0]]);
    expect(store.keys(`vpgs/${VPG}/checkpoints/`)).toEqual(
      ids
        .slice(2)
        .flatMap((id) => [checkpointKey(VPG, id), checkpointSummaryKey(VPG, id)])
        .sort(),
    );
  });

  it('refuses (deleting nothing) when a kept checkpoint would lose its parent', async () => {
    // a kept delta whose parent is not the previous checkpoint: a branch the journal cannot cut
    const m = JSON.parse(store.objects.get(checkpointKey(VPG, ids[3]))!) as CheckpointManifest;
    store.objects.set(checkpointKey(VPG, ids[3]), JSON.stringify({ ...m, parentId: ids[1] }));
    const snapshot = new Map(store.objects);
    await expect(run()).rejects.toThrow(new RegExp(`journal compaction refused: checkpoint ${ids[3]} would lose its parent ${ids[1]}`));
    expect(store.objects).toEqual(snapshot);
  });

  it('runs only after a commit: no $.commit, invalid input', async () => {
    const event = { vpg: vpgRuntime(), executionId: 'x', stateMachineArn: SYNC_ARN, startedAt: new Date().toISOString() };
    await expect(compactJournalStep.withDeps(journalDeps())(event)).rejects.toThrow(/commit/);
  });
});
