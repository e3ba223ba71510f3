/** The replica store and the log, in memory (re-exported by fakes.ts with the other fakes). */
import type { BlockRef } from '../../runtime/core/workers/agent-job';
import { checkpointIdFromKey, packIdFromIndexKey, summarize } from '../../runtime/core/store/format';
import { decodePackIndex, type PackIndex } from '../../runtime/core/store/pack-index';
import type { PackObject } from '../../runtime/core/store/problems';
import { resolveBlockMap } from '../../runtime/core/store/chain';
import type { CheckpointManifest, CheckpointSummary, ReplicaStorePort } from '../../runtime/core/store/port';
import type { StepLog } from '../../runtime/core/ports';

export class MemoryStore implements ReplicaStorePort {
  readonly objects = new Map<string, string>();
  async putJson(key: string, value: unknown): Promise<void> {
    this.objects.set(key, JSON.stringify(value));
  }
  async getJson<T>(key: string): Promise<T | null> {
    const v = this.objects.get(key);
    return v === undefined ? null : (JSON.parse(v) as T);
  }
  async deletePrefix(prefix: string): Promise<number> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix));
    for (const k of keys) this.objects.delete(k);
    return keys.length;
  }
  private manifests(vpg: string): CheckpointManifest[] {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`vpgs/${vpg}/checkpoints/`) && checkpointIdFromKey(k))
      .map((k) => JSON.parse(this.objects.get(k)!) as CheckpointManifest)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  async listCheckpoints(vpg: string): Promise<CheckpointSummary[]> {
    return this.manifests(vpg).map(summarize);
  }
  async getCheckpoint(vpg: string, id: string): Promise<CheckpointManifest | null> {
    return this.getJson(`vpgs/${vpg}/checkpoints/${id}.json`);
  }
  async commitCheckpoint(m: CheckpointManifest): Promise<void> {
    await this.putJson(`vpgs/${m.vpg}/checkpoints/${m.id}.json`, m);
  }
  async resolveVolume(vpg: string, id: string, volumeId: string): Promise<Map<number, BlockRef>> {
    const all = new Map(this.manifests(vpg).map((m) => [m.id, m]));
    const chain: CheckpointManifest[] = [];
    for (let m = all.get(id); m; m = m.parentId ? all.get(m.parentId) : undefined) chain.unshift(m);
    return resolveBlockMap(chain, volumeId);
  }
  /** Chain from the nearest full checkpoint down to `id`, oldest first; throws on a broken chain as S3ReplicaStore does. */
  async getChain(vpg: string, id: string): Promise<CheckpointManifest[]> {
    const chain: CheckpointManifest[] = [];
    for (let at: string | null = id; at !== null;) {
      const m: CheckpointManifest | null = await this.getCheckpoint(vpg, at);
      if (!m)
        throw new Error(
          at === id
            ? `checkpoint ${id} of VPG ${vpg} does not exist`
            : `checkpoint ${id} of VPG ${vpg} needs parent ${at}, which does not exist (broken chain)`,
        );
      chain.unshift(m);
      at = m.full ? null : m.parentId;
    }
    return chain;
  }
  /**
   * Pack indexes and pack objects: a `.pack` object here is the JSON {"size": N} (the fakes never hold block bytes).
   * As S3ReplicaStore does, an index that does not parse, or whose pack is missing or short, disables its pack.
   */
  async packIndexes(vpg: string): Promise<{ indexes: Map<string, PackIndex>; objects: PackObject[] }> {
    const indexes = new Map<string, PackIndex>();
    const objects = new Map<string, PackObject>();
    for (const key of this.keys(`vpgs/${vpg}/packs/`)) {
      const indexed = packIdFromIndexKey(key);
      const data = /\/packs\/([0-9a-f]{64})\.pack$/.exec(key)?.[1];
      const id = indexed ?? data;
      if (!id) continue;
      const seen = objects.get(id) ?? { packId: id, size: null, lastModified: null, hasIndex: false };
      if (indexed) {
        try {
          indexes.set(id, decodePackIndex(this.objects.get(key)!));
        } catch {
          // disabled: its blocks count as missing
        }
        objects.set(id, { ...seen, hasIndex: true });
      } else {
        objects.set(id, { ...seen, size: (JSON.parse(this.objects.get(key)!) as { size: number }).size, lastModified: '2026-01-01T00:00:00.000Z' });
      }
    }
    for (const [id, index] of indexes) {
      const size = objects.get(id)?.size ?? null;
      if (size === null || size < index.blocks.reduce((end, b) => Math.max(end, b.offset + b.length), 0)) indexes.delete(id);
    }
    return { indexes, objects: [...objects.values()].sort((a, b) => a.packId.localeCompare(b.packId)) };
  }
  keys(prefix: string): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

export class MemoryLog implements StepLog {
  readonly lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'INFO', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'WARN', message, fields });
  }
  has(text: string): boolean {
    return this.lines.some((l) => l.message.includes(text) || JSON.stringify(l.fields ?? {}).includes(text));
  }
}
