/**
 * Is a checkpoint restorable from what the store holds? Pure: given the manifests, the valid pack indexes and
 * the pack objects present, the problems that would make a restore fail, one line per volume or pack (counts,
 * never one line per block). Begin checks the parent it builds on, Commit the checkpoint it is about to write.
 */
import { ZERO_BLOCK } from '../workers/agent-job';
import type { PackIndex } from './pack-index';
import { resolveBlockMap } from './chain';
import type { CheckpointManifest } from './port';
import type { PackObject } from './problems';

export interface IntegrityInput {
  readonly vpg: string;
  readonly checkpointId: string;
  /** The checkpoint's chain, or every manifest of the VPG (a manifest not committed yet may be among them). */
  readonly manifests: readonly CheckpointManifest[];
  /** The VPG's valid pack indexes by pack id (unreadable ones left out: their blocks count as missing). */
  readonly indexes: ReadonlyMap<string, PackIndex>;
  /** The pack objects present, with their sizes (a listing of packs/). */
  readonly packs: readonly PackObject[];
}

export interface IntegrityProblem {
  readonly kind: 'broken-chain' | 'missing-blocks' | 'pack-missing';
  readonly checkpointId: string;
  readonly sourceVolumeId?: string;
  readonly packId?: string;
  /** Blocks affected (a volume's block indexes, or a pack's distinct blocks the checkpoint needs); absent for a broken chain. */
  readonly blocks?: number;
  readonly message: string;
}

/** The chain from a full checkpoint down to `checkpointId`, oldest first, or the reason there is none. */
export function chainOf(manifests: readonly CheckpointManifest[], checkpointId: string): { chain: CheckpointManifest[] } | { broken: string } {
  const byId = new Map(manifests.map((m) => [m.id, m] as const));
  const chain: CheckpointManifest[] = [];
  const seen = new Set<string>();
  for (let id: string | null = checkpointId; id !== null;) {
    if (seen.has(id)) return { broken: `its chain loops at ${id}` };
    seen.add(id);
    const m = byId.get(id);
    if (!m)
      return {
        broken: id === checkpointId ? 'it is not among the manifests' : `it needs ${id}, which does not exist: the chain does not reach a full checkpoint`,
      };
    chain.push(m);
    if (m.full) break;
    if (m.parentId === null) return { broken: `its chain ends at ${m.id}, a delta with no parent` };
    id = m.parentId;
  }
  return { chain: chain.reverse() };
}

/** Where an index needs its pack to reach: the end of its last entry. */
function indexEnd(index: PackIndex): number {
  return index.blocks.reduce((end, b) => Math.max(end, b.offset + b.length), 0);
}

export function checkpointIntegrity(args: IntegrityInput): IntegrityProblem[] {
  const { vpg, checkpointId } = args;
  const where = `checkpoint ${checkpointId} of VPG ${vpg}`;
  const found = chainOf(args.manifests, checkpointId);
  if ('broken' in found) return [{ kind: 'broken-chain', checkpointId, message: `${where}: ${found.broken}` }];

  // A valid index serves its blocks only while its pack object is there and long enough.
  const objects = new Map(args.packs.map((p) => [p.packId, p] as const));
  const live = new Set<string>();
  const dead = new Map<string, { packId: string; why: string }[]>();
  for (const [packId, index] of args.indexes) {
    const size = objects.get(packId)?.size ?? null;
    const end = indexEnd(index);
    const why = size === null ? 'its .pack object is missing' : size < end ? `its .pack object has ${size} bytes, its index needs ${end}` : null;
    for (const b of index.blocks) {
      if (why === null) live.add(b.hash);
      else dead.set(b.hash, [...(dead.get(b.hash) ?? []), { packId, why }]);
    }
  }

  const problems: IntegrityProblem[] = [];
  const byPack = new Map<string, { why: string; hashes: Set<string> }>();
  const wanted = found.chain[found.chain.length - 1];
  for (const volume of wanted.volumes) {
    let missing = 0;
    let first: { index: number; hash: string } | null = null;
    for (const [index, ref] of resolveBlockMap(found.chain, volume.sourceVolumeId)) {
      if (ref === ZERO_BLOCK || live.has(ref)) continue;
      missing++;
      if (first === null || index < first.index) first = { index, hash: ref };
      for (const holder of dead.get(ref) ?? []) {
        const entry = byPack.get(holder.packId) ?? { why: holder.why, hashes: new Set<string>() };
        entry.hashes.add(ref);
        byPack.set(holder.packId, entry);
      }
    }
    if (first) {
      problems.push({
        kind: 'missing-blocks',
        checkpointId,
        sourceVolumeId: volume.sourceVolumeId,
        blocks: missing,
        message: `${where}, volume ${volume.sourceVolumeId}: ${missing} block(s) are in no live pack index (first: block ${first.index}, hash ${first.hash})`,
      });
    }
  }
  for (const [packId, { why, hashes }] of [...byPack].sort(([a], [b]) => a.localeCompare(b))) {
    problems.push({
      kind: 'pack-missing',
      checkpointId,
      packId,
      blocks: hashes.size,
      message: `${where}: pack ${packId} holds ${hashes.size} of its block(s), but ${why}`,
    });
  }
  return problems;
}
