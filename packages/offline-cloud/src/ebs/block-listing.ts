/**
 * Pure listing logic of ListSnapshotBlocks / ListChangedBlocks over snapshot maps (block index →
 * content hash): which blocks, in ascending order, and one page of them.
 *
 * Changed = present in one snapshot and not the other, or present in both with different content.
 * A block rewritten with the very same bytes between the two snapshots is NOT reported: the emulator
 * compares contents, not write history (AWS tracks writes and may report it; skipping it is safe for a
 * replica, which already holds those bytes). A block overwritten with zeros IS reported (its content changed).
 */
export interface ListedBlock {
  readonly index: number;
  /** Content hash in the first snapshot (absent when the block is not in it). */
  readonly firstHash?: string;
  /** Content hash in the second snapshot (absent when the block is not in it). */
  readonly secondHash?: string;
}

export function snapshotBlockList(blocks: ReadonlyMap<number, string>): ListedBlock[] {
  return [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([index, secondHash]) => ({ index, secondHash }));
}

export function changedBlockList(first: ReadonlyMap<number, string>, second: ReadonlyMap<number, string>): ListedBlock[] {
  const out: ListedBlock[] = [];
  for (const [index, secondHash] of second) {
    const firstHash = first.get(index);
    if (firstHash !== secondHash) out.push(firstHash === undefined ? { index, secondHash } : { index, firstHash, secondHash });
  }
  for (const [index, firstHash] of first) if (!second.has(index)) out.push({ index, firstHash });
  return out.sort((a, b) => a.index - b.index);
}

/** The first index i with list[i].index >= blockIndex (binary search; the list is ascending). */
function lowerBound(list: readonly ListedBlock[], blockIndex: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].index < blockIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Up to maxResults blocks from startBlockIndex on, and the block index the next page starts at. */
export function pageOf(list: readonly ListedBlock[], startBlockIndex: number, maxResults: number): { blocks: ListedBlock[]; nextBlockIndex?: number } {
  const from = lowerBound(list, startBlockIndex);
  const blocks = list.slice(from, from + maxResults);
  const next = list[from + maxResults];
  return next === undefined ? { blocks } : { blocks, nextBlockIndex: next.index };
}
