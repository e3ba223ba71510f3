/** The replica store and the log, in memory (re-exported by fakes.ts with the other fakes). */
import type { BlockRef } from '../../lambda/core/agent-job';
import { checkpointIdFromKey, summarize } from '../../lambda/core/replica-format';
import { resolveBlockMap } from '../../lambda/core/replica-chain';
import type { CheckpointManifest, CheckpointSummary, ReplicaStorePort } from '../../lambda/core/replica-store-port';
import type { StepLog } from '../../lambda/core/sync-ports';

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
