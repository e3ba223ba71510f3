/**
 * Snapshot maps (block index → SHA-256 hex, plus the volume size) on disk, one JSON file each,
 * `<dir>/<snapshotId>.json`, all kept in memory too (the garbage collector needs every map).
 * A map filled block by block (EBS PutSnapshotBlock) appends to `<snapshotId>.journal` instead of
 * rewriting the JSON on every block; the journal is folded into the JSON now and then and on open.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface SnapshotMap {
  sizeBytes: number;
  blocks: Map<number, string>;
}

interface SnapshotFile {
  sizeBytes: number;
  /** [blockIndex, hash] pairs, ascending. */
  blocks: Array<[number, string]>;
}

/** Fold the journal once it holds this many entries (and more than the map itself). */
const JOURNAL_FOLD_ENTRIES = 4096;

export class SnapshotMaps {
  private readonly maps = new Map<string, SnapshotMap>();
  private readonly journalEntries = new Map<string, number>();

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith('.json')) this.load(name.slice(0, -'.json'.length));
    }
  }

  private jsonPath(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private journalPath(id: string): string {
    return path.join(this.dir, `${id}.journal`);
  }

  private load(id: string): void {
    const file = JSON.parse(fs.readFileSync(this.jsonPath(id), 'utf8')) as SnapshotFile;
    const map: SnapshotMap = { sizeBytes: file.sizeBytes, blocks: new Map(file.blocks) };
    this.maps.set(id, map);
    if (fs.existsSync(this.journalPath(id))) {
      // Replaying is idempotent: entries already folded into the JSON set the same values again.
      for (const line of fs.readFileSync(this.journalPath(id), 'utf8').split('\n')) {
        const [index, hash] = line.split(' ');
        if (hash?.length === 64) map.blocks.set(Number(index), hash);
      }
      this.fold(id);
    }
  }

  has(id: string): boolean {
    return this.maps.has(id);
  }

  get(id: string): SnapshotMap | undefined {
    return this.maps.get(id);
  }

  all(): IterableIterator<SnapshotMap> {
    return this.maps.values();
  }

  /** Writes a whole map (atomically: tmp + rename) and drops any journal. */
  save(id: string, map: SnapshotMap): void {
    this.maps.set(id, map);
    const sorted = [...map.blocks.entries()].sort((a, b) => a[0] - b[0]);
    const file: SnapshotFile = { sizeBytes: map.sizeBytes, blocks: sorted };
    const tmp = `${this.jsonPath(id)}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(file));
    fs.renameSync(tmp, this.jsonPath(id));
    fs.rmSync(this.journalPath(id), { force: true });
    this.journalEntries.delete(id);
  }

  /** Records one block of a map being filled block by block (O(1) on disk). */
  putBlock(id: string, index: number, hash: string): void {
    const map = this.maps.get(id);
    if (!map) throw new Error(`snapshot map ${id} does not exist`);
    map.blocks.set(index, hash);
    fs.appendFileSync(this.journalPath(id), `${index} ${hash}\n`);
    const entries = (this.journalEntries.get(id) ?? 0) + 1;
    this.journalEntries.set(id, entries);
    if (entries >= JOURNAL_FOLD_ENTRIES && entries > map.blocks.size) this.fold(id);
  }

  private fold(id: string): void {
    this.save(id, this.maps.get(id)!);
  }

  delete(id: string): SnapshotMap | undefined {
    const map = this.maps.get(id);
    this.maps.delete(id);
    this.journalEntries.delete(id);
    fs.rmSync(this.jsonPath(id), { force: true });
    fs.rmSync(this.journalPath(id), { force: true });
    return map;
  }
}
