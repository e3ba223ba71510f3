/**
 * Journal retention, planned (pure): which checkpoints fall out of the journal, the full map the oldest
 * kept checkpoint becomes, and which stored blocks and packs nothing references any more.
 * The caller must hold the VPG's sync lock: packs of an in-flight sync are referenced by no manifest yet.
 */
import { ZERO_BLOCK } from '../workers/agent-job';
import type { CheckpointManifest } from './port';
import { buildHashLocations, type PackIndex } from './pack-index';
import { blockMapToRecord, chainIds, resolveBlockMap } from './chain';

export interface PackVerdict {
  readonly packId: string;
  readonly liveBlocks: number;
  readonly deadBlocks: number;
  readonly liveBytes: number;
  readonly deadBytes: number;
}

export interface CompactionPlan {
  /** Checkpoints to delete (oldest first). Empty when nothing falls out of the journal. */
  readonly dropped: readonly string[];
  /** The oldest kept checkpoint, or null when there are no checkpoints. */
  readonly oldestKept: string | null;
  /** Its new manifest (full, no parent), to write over the old one before anything is deleted; null when unchanged. */
  readonly rewritten: CheckpointManifest | null;
  /** Stored block hashes that no kept manifest references. */
  readonly unreferencedHashes: readonly string[];
  /** Packs none of whose blocks any kept manifest references: delete (pack and index). */
  readonly deletablePacks: readonly string[];
  /** Packs holding both live and dead blocks: candidates for rewriting (the journal step decides by deadBytes). */
  readonly partlyLivePacks: readonly PackVerdict[];
}

export interface CompactionOptions {
  /** Checkpoints kept whatever their age (the last copy of a departed source, runtime/core/sync/departed-sources.ts): they and every later one stay. */
  readonly retain?: ReadonlySet<string>;
  /** Only these packs may be deleted (old enough that no writer is still at work on them); default: any. */
  readonly deletable?: ReadonlySet<string>;
}

/**
 * @param manifests every committed checkpoint of the VPG, oldest first
 * @param cutoff checkpoints created before it may go; the newest checkpoint always stays
 * @param packs every pack index of the VPG, by pack id
 */
export function planCompaction(
  vpg: string,
  manifests: readonly CheckpointManifest[],
  cutoff: string,
  packs: ReadonlyMap<string, PackIndex>,
  options: CompactionOptions = {},
): CompactionPlan {
  const cutoffMs = Date.parse(cutoff);
  if (Number.isNaN(cutoffMs)) throw new Error(`invalid retention cut-off: ${cutoff}`);
  let keepFrom = manifests.findIndex((m) => Date.parse(m.createdAt) >= cutoffMs);
  if (keepFrom < 0) keepFrom = manifests.length - 1;
  const retained = manifests.findIndex((m) => options.retain?.has(m.id));
  if (retained >= 0) keepFrom = Math.min(keepFrom, retained);
  const kept = manifests.slice(Math.max(keepFrom, 0));
  const dropped = manifests.slice(0, Math.max(keepFrom, 0)).map((m) => m.id);

  let rewritten: CheckpointManifest | null = null;
  if (kept.length > 0 && !kept[0].full) {
    const byId = new Map(manifests.map((m) => [m.id, m] as const));
    const chain = chainIds(byId, kept[0].id).map((id) => byId.get(id)!);
    rewritten = {
      ...kept[0],
      parentId: null,
      full: true,
      volumes: kept[0].volumes.map((v) => ({ ...v, blocks: blockMapToRecord(resolveBlockMap(chain, v.sourceVolumeId)) })),
    };
  }
  const keptManifests = rewritten ? [rewritten, ...kept.slice(1)] : kept;

  const live = new Set<string>();
  for (const m of keptManifests) for (const v of m.volumes) for (const ref of Object.values(v.blocks)) if (ref !== ZERO_BLOCK) live.add(ref);

  const canonical = buildHashLocations(vpg, packs);
  const unreferenced = new Set<string>();
  const deletablePacks: string[] = [];
  const partlyLivePacks: PackVerdict[] = [];
  for (const packId of [...packs.keys()].sort()) {
    let liveBlocks = 0,
      deadBlocks = 0,
      liveBytes = 0,
      deadBytes = 0;
    let liveCopies = 0;
    for (const b of packs.get(packId)!.blocks) {
      const isLive = live.has(b.hash) && canonical.get(b.hash)?.packId === packId;
      if (live.has(b.hash)) liveCopies++;
      if (isLive) {
        liveBlocks++;
        liveBytes += b.length;
      } else {
        deadBlocks++;
        deadBytes += b.length;
        if (!live.has(b.hash)) unreferenced.add(b.hash);
      }
    }
    // Only packs holding no live block at all go: a second copy of a live block stays, because a reader that
    // listed the packs at another moment may hold that copy as its canonical one.
    if (liveCopies === 0 && (options.deletable === undefined || options.deletable.has(packId))) deletablePacks.push(packId);
    else if (deadBlocks > 0) partlyLivePacks.push({ packId, liveBlocks, deadBlocks, liveBytes, deadBytes });
  }
  return {
    dropped,
    oldestKept: kept[0]?.id ?? null,
    rewritten,
    unreferencedHashes: [...unreferenced].sort(),
    deletablePacks,
    partlyLivePacks,
  };
}
