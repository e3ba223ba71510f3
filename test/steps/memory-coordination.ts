/** The VPG lease and reader records in memory, with S3's conditional-write semantics (an ETag per write). */
import type { LeaseStorePort } from '../../runtime/core/lease/lease-guard';
import type {
  GcNotesPort,
  ReaderListing,
  ReaderRecord,
  ReadersPort,
  ReleasedSource,
  ReleasesPort,
  WorkingFilesPort,
  WorkingSet,
} from '../../runtime/core/store/readers';
import type { VpgLease } from '../../runtime/core/lease/vpg-lease';

export class MemoryCoordination implements LeaseStorePort, ReadersPort, ReleasesPort, WorkingFilesPort, GcNotesPort {
  readonly leases = new Map<string, { value: VpgLease; etag: string }>();
  readonly readers = new Map<string, ReaderRecord>();
  /** vpg → sync ids with a gc note. */
  readonly notes = new Map<string, Set<string>>();
  /** vpg → released source ids. */
  readonly released = new Map<string, Set<string>>();
  private writes = 0;
  /** The store whose working files workingSets lists, and when each set last changed (default: long ago). */
  store?: { keys(prefix: string): string[]; getJson<T>(key: string): Promise<T | null> };
  readonly changedAt = new Map<string, string>();
  /** Conditional writes that lost (412), for tests that race writers. */
  lost = 0;

  async readLease(vpg: string): Promise<{ value: unknown; etag: string } | null> {
    const l = this.leases.get(vpg);
    return l ? { value: JSON.parse(JSON.stringify(l.value)) as unknown, etag: l.etag } : null;
  }
  async createLease(vpg: string, lease: VpgLease): Promise<boolean> {
    if (this.leases.has(vpg)) return (void this.lost++, false);
    this.leases.set(vpg, { value: lease, etag: `"e${++this.writes}"` });
    return true;
  }
  async replaceLease(vpg: string, lease: VpgLease, etag: string): Promise<boolean> {
    if (this.leases.get(vpg)?.etag !== etag) return (void this.lost++, false);
    this.leases.set(vpg, { value: lease, etag: `"e${++this.writes}"` });
    return true;
  }
  lease(vpg: string): VpgLease | undefined {
    return this.leases.get(vpg)?.value;
  }

  async putReader(vpg: string, reader: ReaderRecord): Promise<void> {
    this.readers.set(`${vpg}/${reader.id}`, JSON.parse(JSON.stringify(reader)) as ReaderRecord);
  }
  async listReaders(vpg: string): Promise<ReaderListing> {
    return { readers: [...this.readers.entries()].filter(([k]) => k.startsWith(`${vpg}/`)).map(([, r]) => r), unreadable: [] };
  }
  async deleteReader(vpg: string, readerId: string): Promise<void> {
    this.readers.delete(`${vpg}/${readerId}`);
  }
  async releasedSources(vpg: string): Promise<ReleasedSource[]> {
    return [...(this.released.get(vpg) ?? [])].map((sourceId) => ({ format: 1, sourceId, releasedAt: '2026-01-01T00:00:00.000Z' }));
  }
  async workingSets(vpg: string): Promise<WorkingSet[]> {
    const sets = new Map<string, WorkingSet>();
    for (const kind of ['sync', 'import'] as const) {
      const prefix = `vpgs/${vpg}/${kind === 'sync' ? 'syncs' : 'imports'}/`;
      for (const key of this.store?.keys(prefix) ?? []) {
        const id = key.slice(prefix.length).split('/')[0];
        sets.set(`${kind}/${id}`, { kind, id, lastModified: this.changedAt.get(`${kind}/${id}`) ?? '2000-01-01T00:00:00.000Z' });
      }
    }
    return [...sets.values()];
  }
  async workingJobExecutions(vpg: string, syncId: string): Promise<string[]> {
    const out: string[] = [];
    for (const key of this.store?.keys(`vpgs/${vpg}/syncs/${syncId}/jobs/`) ?? []) {
      const job = await this.store!.getJson<{ executionId?: string }>(key);
      if (job?.executionId) out.push(job.executionId);
    }
    return out;
  }
  async putGcNote(vpg: string, syncId: string): Promise<void> {
    this.notes.set(vpg, new Set([...(this.notes.get(vpg) ?? []), syncId]));
  }
  async gcNotes(vpg: string): Promise<string[]> {
    return [...(this.notes.get(vpg) ?? [])].sort();
  }
  async deleteGcNote(vpg: string, syncId: string): Promise<void> {
    this.notes.get(vpg)?.delete(syncId);
  }
}
