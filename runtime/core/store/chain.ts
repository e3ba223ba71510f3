/**
 * Checkpoint chains: which manifests a restore needs, and a volume's block map through them. Pure.
 * A delta manifest lists only the blocks changed since its parent; a full one lists every block.
 */
import type { BlockRef } from '../workers/agent-job';
import type { CheckpointManifest, CheckpointSummary } from './port';
import { blockCount, blockIndexOf } from './format';
import { CorruptManifest } from './validation';

type ChainLink = Pick<CheckpointSummary, 'id' | 'parentId'> & { readonly full?: boolean };

/**
 * Ids from the nearest full checkpoint down to `wantedId`, oldest first. `isFull` says whether a link is
 * full (summaries do not carry it: a link with parentId null is full by construction).
 */
export function chainIds(links: ReadonlyMap<string, ChainLink>, wantedId: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let id: string | null = wantedId;
  while (id !== null) {
    if (seen.has(id)) throw new Error(`checkpoint chain loops at ${id}`);
    seen.add(id);
    const link = links.get(id);
    if (!link) {
      throw new Error(id === wantedId ? `checkpoint ${id} does not exist` : `checkpoint ${wantedId} needs ${id}, which does not exist (broken chain)`);
    }
    out.push(id);
    if (link.full || link.parentId === null) break;
    id = link.parentId;
  }
  return out.reverse();
}

/**
 * A volume's block map at the last manifest of `chain` (oldest first, starting at a full one). Later manifests win.
 * A volume's history must be contiguous up to the wanted checkpoint: where a manifest lacks the volume, its map
 * restarts (a volume that (re)appears mid-chain was read whole, its plan had no base). Blocks past the final size are dropped.
 */
export function resolveBlockMap(chain: readonly CheckpointManifest[], sourceVolumeId: string): Map<number, BlockRef> {
  if (chain.length === 0) throw new Error('empty checkpoint chain');
  if (!chain[0].full) throw new Error(`checkpoint chain must start at a full checkpoint, not ${chain[0].id}`);
  for (let i = 1; i < chain.length; i++) {
    if (chain[i].parentId !== chain[i - 1].id) throw new Error(`checkpoint ${chain[i].id} does not follow ${chain[i - 1].id}`);
  }
  const wanted = chain[chain.length - 1];
  const last = wanted.volumes.find((v) => v.sourceVolumeId === sourceVolumeId);
  if (!last) throw new Error(`volume ${sourceVolumeId} is not in checkpoint ${wanted.id}`);
  let map = new Map<number, BlockRef>();
  for (const manifest of chain) {
    const volume = manifest.volumes.find((v) => v.sourceVolumeId === sourceVolumeId);
    if (!volume) {
      map = new Map();
      continue;
    }
    for (const [key, ref] of Object.entries(volume.blocks)) {
      // Stores validate manifests on read; this guards any other source: a bad key must never land on a real block.
      const index = blockIndexOf(key);
      if (index === null) {
        throw new CorruptManifest({
          vpg: manifest.vpg,
          checkpointId: manifest.id,
          sourceVolumeId,
          key,
          reason: `block key ${JSON.stringify(key)} is not a canonical block index`,
        });
      }
      map.set(index, ref);
    }
  }
  const limit = blockCount(last.sizeBytes);
  for (const index of map.keys()) if (index >= limit) map.delete(index);
  return map;
}

/** Block map as a manifest stores it (keys in ascending block order). */
export function blockMapToRecord(map: ReadonlyMap<number, BlockRef>): Record<string, BlockRef> {
  const out: Record<string, BlockRef> = {};
  for (const index of [...map.keys()].sort((a, b) => a - b)) out[String(index)] = map.get(index)!;
  return out;
}
