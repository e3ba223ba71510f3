/**
 * Pack indexes: which blocks a pack holds and where. Pure: encode/decode/validate, and the
 * store-wide hash → location map that dedup and reads share (one canonical copy per hash).
 */
import { isSha256Hex, packIdFromIndexKey, packKey } from './format';

export interface PackIndexEntry {
  readonly hash: string;
  readonly offset: number;
  readonly length: number;
}
export interface PackIndex {
  readonly format: 1;
  readonly blocks: readonly PackIndexEntry[];
}
/** Where a stored block lives: bucket-relative pack key and byte range. */
export interface BlockLocation {
  readonly packId: string;
  readonly packKey: string;
  readonly offset: number;
  readonly length: number;
}

export function encodePackIndex(blocks: readonly PackIndexEntry[]): string {
  return JSON.stringify({ format: 1, blocks } satisfies PackIndex);
}

/** Parse and validate; `packBytes` (when known) bounds every entry. Throws naming what is wrong. */
export function decodePackIndex(text: string, packBytes?: number): PackIndex {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`pack index is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const v = value as { format?: unknown; blocks?: unknown };
  if (!v || v.format !== 1 || !Array.isArray(v.blocks)) throw new Error('pack index is not {format:1, blocks:[...]}');
  const blocks: PackIndexEntry[] = v.blocks.map((b: unknown, i: number) => {
    const e = b as Partial<PackIndexEntry>;
    const ok =
      typeof e?.hash === 'string' &&
      isSha256Hex(e.hash) &&
      Number.isSafeInteger(e.offset) &&
      (e.offset as number) >= 0 &&
      Number.isSafeInteger(e.length) &&
      (e.length as number) > 0 &&
      (packBytes === undefined || (e.offset as number) + (e.length as number) <= packBytes);
    if (!ok) throw new Error(`pack index entry ${i} is invalid: ${JSON.stringify(b)}`);
    return { hash: e.hash, offset: e.offset as number, length: e.length as number };
  });
  return { format: 1, blocks };
}

/** The hashes an index that failed decodePackIndex still names (to say which disabled pack a missing block was in). */
export function hashesNamedIn(text: string): string[] {
  try {
    const blocks = (JSON.parse(text) as { blocks?: unknown })?.blocks;
    if (!Array.isArray(blocks)) return [];
    return blocks.map((b) => (b as { hash?: unknown })?.hash).filter((h): h is string => typeof h === 'string' && isSha256Hex(h));
  } catch {
    return [];
  }
}

/** Same blocks at the same places: an existing index equals the one a writer would write. */
export function sameEntries(a: readonly PackIndexEntry[], b: readonly PackIndexEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.hash === b[i].hash && e.offset === b[i].offset && e.length === b[i].length);
}

/**
 * hash → canonical location over every pack of a VPG. Two jobs of one sync can store the same
 * block twice; the copy in the pack whose id sorts first is canonical, everywhere (reads, compaction).
 */
export function buildHashLocations(vpg: string, indexes: ReadonlyMap<string, PackIndex>): Map<string, BlockLocation> {
  const out = new Map<string, BlockLocation>();
  for (const packId of [...indexes.keys()].sort()) {
    const key = packKey(vpg, packId);
    for (const b of indexes.get(packId)!.blocks) {
      if (!out.has(b.hash)) out.set(b.hash, { packId, packKey: key, offset: b.offset, length: b.length });
    }
  }
  return out;
}

export { packIdFromIndexKey };

export interface RangeRead {
  readonly packKey: string;
  readonly offset: number;
  readonly length: number;
  /** The blocks this ranged GET returns, in order, each with its offset inside the range. */
  readonly blocks: ReadonlyArray<{ hash: string; offsetInRange: number; length: number }>;
}

/**
 * Group wanted hashes into ranged GETs: by pack, adjacent blocks merged up to maxRangeBytes,
 * so an importer issues a few large requests instead of one per block. Unknown hashes are returned apart.
 */
export function planRangeReads(
  hashes: Iterable<string>,
  locations: ReadonlyMap<string, BlockLocation>,
  maxRangeBytes: number,
): { reads: RangeRead[]; missing: string[] } {
  const byPack = new Map<string, Array<{ hash: string; loc: BlockLocation }>>();
  const missing: string[] = [];
  for (const hash of new Set(hashes)) {
    const loc = locations.get(hash);
    if (!loc) {
      missing.push(hash);
      continue;
    }
    const list = byPack.get(loc.packKey) ?? [];
    list.push({ hash, loc });
    byPack.set(loc.packKey, list);
  }
  const reads: RangeRead[] = [];
  for (const [key, list] of [...byPack.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => a.loc.offset - b.loc.offset);
    let current: { offset: number; end: number; blocks: RangeRead['blocks'][number][] } | null = null;
    for (const { hash, loc } of list) {
      const fits = current && loc.offset === current.end && loc.offset + loc.length - current.offset <= maxRangeBytes;
      if (!current || !fits) {
        if (current) reads.push({ packKey: key, offset: current.offset, length: current.end - current.offset, blocks: current.blocks });
        current = { offset: loc.offset, end: loc.offset, blocks: [] };
      }
      current.blocks.push({ hash, offsetInRange: loc.offset - current.offset, length: loc.length });
      current.end = loc.offset + loc.length;
    }
    if (current) reads.push({ packKey: key, offset: current.offset, length: current.end - current.offset, blocks: current.blocks });
  }
  return { reads, missing };
}
