/**
 * Damage isolated: what a listing of a VPG's packs/ and checkpoints/ holds, sorted into the objects Lifeboat
 * reads and the problems it skips (strays, packs an index cannot serve). Pure: the store adapter lists and
 * reads, this decides. One bad object disables itself only, never the VPG.
 */
import { checkpointKey, checkpointsPrefix, isCheckpointId, isSha256Hex, packIndexKey, packKey, packsPrefix } from './format';

export type StoreProblemKind =
  /** An object under packs/ or checkpoints/ whose name Lifeboat does not write (a person's copy, notes). */
  | 'stray-object'
  /** A pack index that does not parse or has a bad entry: that pack is disabled. */
  | 'unreadable-pack-index'
  /** A pack index whose .pack object is missing or shorter than the index says: that pack is disabled. */
  | 'pack-missing'
  /** A checkpoint whose parent is not in the store: it (and what builds on it) cannot be restored. */
  | 'broken-chain'
  /** A checkpoint manifest that fails validation (see store/validation.ts). */
  | 'corrupt-manifest';

export interface StoreProblem {
  readonly kind: StoreProblemKind;
  /** Bucket-relative key of the object concerned. */
  readonly key: string;
  readonly reason: string;
}

/** One pack as a listing of packs/ shows it. */
export interface PackObject {
  readonly packId: string;
  /** Bytes of the .pack object; null when there is none. */
  readonly size: number | null;
  /** ISO time the .pack object was written; null when there is none. */
  readonly lastModified: string | null;
  readonly hasIndex: boolean;
}

export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: string | null;
}

const strayReason = (what: string) =>
  `not a name Lifeboat writes under ${what}, so it is ignored; move it out of the VPG's prefix (or delete it) to clear this`;

/** A listing of `packs/` as packs (by id, sorted) and strays. */
export function sortPackListing(vpg: string, objects: Iterable<ListedObject>): { packs: PackObject[]; strays: StoreProblem[] } {
  const prefix = packsPrefix(vpg);
  const byId = new Map<string, { size: number | null; lastModified: string | null; hasIndex: boolean }>();
  const strays: StoreProblem[] = [];
  for (const o of objects) {
    const m = o.key.startsWith(prefix) ? /^([^/]+)\.(pack|idx\.json)$/.exec(o.key.slice(prefix.length)) : null;
    if (!m || !isSha256Hex(m[1])) {
      strays.push({ kind: 'stray-object', key: o.key, reason: strayReason('packs/ (<64 hex>.pack, <64 hex>.idx.json)') });
      continue;
    }
    const entry = byId.get(m[1]) ?? { size: null, lastModified: null, hasIndex: false };
    if (m[2] === 'pack') Object.assign(entry, { size: o.size, lastModified: o.lastModified });
    else entry.hasIndex = true;
    byId.set(m[1], entry);
  }
  const packs = [...byId.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([packId, e]) => ({ packId, ...e }));
  return { packs, strays };
}

/** A listing of `checkpoints/` as committed ids, ids with a summary, and strays. */
export function sortCheckpointListing(vpg: string, keys: Iterable<string>): { ids: string[]; summaries: Set<string>; strays: StoreProblem[] } {
  const prefix = checkpointsPrefix(vpg);
  const ids: string[] = [];
  const summaries = new Set<string>();
  const strays: StoreProblem[] = [];
  for (const key of keys) {
    const m = key.startsWith(prefix) ? /^([^/]+?)(\.summary)?\.json$/.exec(key.slice(prefix.length)) : null;
    if (!m || !isCheckpointId(m[1])) {
      strays.push({ kind: 'stray-object', key, reason: strayReason('checkpoints/ (cp-<yyyymmdd>T<hhmmss>Z-<id>.json and .summary.json)') });
    } else if (m[2]) {
      summaries.add(m[1]);
    } else {
      ids.push(m[1]);
    }
  }
  return { ids, summaries, strays };
}

/** The problem of an index that does not parse (or has a bad entry): that pack only is disabled. */
export function unreadableIndex(vpg: string, packId: string, why: string): StoreProblem {
  return {
    kind: 'unreadable-pack-index',
    key: packIndexKey(vpg, packId),
    reason: `${why}; pack ${packId} is disabled: checkpoints that need its blocks fail with MissingBlock until the index is restored (its earlier S3 version)`,
  };
}

/** The problem of an index whose pack object is missing or too short for its entries. */
export function packMissing(vpg: string, packId: string, size: number | null, needed: number): StoreProblem {
  const what = size === null ? 'its .pack object is missing' : `its .pack object has ${size} bytes, the index needs ${needed}`;
  return {
    kind: 'pack-missing',
    key: packKey(vpg, packId),
    reason: `${what}; pack ${packId} is disabled: checkpoints that need its blocks fail with MissingBlock until the pack is restored (its earlier S3 version)`,
  };
}

/** Checkpoints whose parent is not among the listed ones (from summaries: id and parentId). */
export function brokenChainProblems(vpg: string, links: ReadonlyArray<{ id: string; parentId: string | null }>): StoreProblem[] {
  const ids = new Set(links.map((l) => l.id));
  return links
    .filter((l) => l.parentId !== null && !ids.has(l.parentId))
    .map((l) => ({
      kind: 'broken-chain' as const,
      key: checkpointKey(vpg, l.id),
      reason: `checkpoint ${l.id} of VPG ${vpg} needs parent ${l.parentId}, which is not in the store: it and the checkpoints built on it cannot be restored`,
    }));
}
