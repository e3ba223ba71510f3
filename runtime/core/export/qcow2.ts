/**
 * A qcow2 (version 3) layout for exporting a volume to a hypervisor: pure arithmetic, no I/O.
 * Clusters are 512 KiB, the replica store's block size, so each stored block is exactly one data
 * cluster and the image is written in one forward pass: header, L1, refcount table, refcount blocks,
 * L2 tables, then the data clusters in block order. Blocks not listed (holes, zeros) are unallocated
 * clusters, which read as zeros. Spec: qemu's docs/interop/qcow2.txt.
 */
const CLUSTER_BITS = 19;
export const QCOW2_CLUSTER_SIZE = 1 << CLUSTER_BITS; // 512 KiB
const HEADER_LENGTH = 104;
const REFCOUNT_ORDER = 4; // 16-bit refcounts
const COPIED = 1n << 63n; // refcount is exactly one: the cluster may be written in place
const L2_ENTRIES = QCOW2_CLUSTER_SIZE / 8;
const REFCOUNTS_PER_BLOCK = QCOW2_CLUSTER_SIZE / 2;

export interface Qcow2Layout {
  readonly virtualSize: number;
  readonly totalClusters: number;
  /** Metadata clusters (header … L2 tables), to be written at offset 0 before any data. */
  readonly metadata: Buffer;
  /** File offset of the data cluster of each listed block, in the order given. */
  readonly dataOffsets: ReadonlyMap<number, number>;
  readonly fileSize: number;
}

/**
 * @param virtualSize the volume's size in bytes (a multiple of 512 KiB, as EBS sizes are)
 * @param blocks indexes of the 512 KiB blocks that hold data, strictly ascending
 */
export function qcow2Layout(virtualSize: number, blocks: readonly number[]): Qcow2Layout {
  if (virtualSize <= 0 || virtualSize % QCOW2_CLUSTER_SIZE !== 0) {
    throw new RangeError(`virtual size ${virtualSize} is not a positive multiple of ${QCOW2_CLUSTER_SIZE}`);
  }
  const blockCount = virtualSize / QCOW2_CLUSTER_SIZE;
  for (let i = 0; i < blocks.length; i++) {
    if (blocks[i] < 0 || blocks[i] >= blockCount) throw new RangeError(`block ${blocks[i]} is outside a ${virtualSize}-byte volume`);
    if (i > 0 && blocks[i] <= blocks[i - 1]) throw new RangeError('blocks must be strictly ascending');
  }
  const l1Size = Math.ceil(blockCount / L2_ENTRIES);
  const l1Clusters = Math.ceil((l1Size * 8) / QCOW2_CLUSTER_SIZE);
  const l2Used = [...new Set(blocks.map((b) => Math.floor(b / L2_ENTRIES)))];

  // Refcount blocks must count themselves: grow until they cover every cluster.
  const fixed = 1 + l1Clusters + 1 + l2Used.length + blocks.length; // header, L1, refcount table, L2s, data
  let refBlocks = 1;
  while (refBlocks * REFCOUNTS_PER_BLOCK < fixed + refBlocks) refBlocks++;
  const refTableClusters = Math.ceil((refBlocks * 8) / QCOW2_CLUSTER_SIZE);
  if (refTableClusters > 1) throw new RangeError('image too large for a one-cluster refcount table');
  const totalClusters = fixed + refBlocks;

  const l1Offset = QCOW2_CLUSTER_SIZE;
  const refTableOffset = l1Offset + l1Clusters * QCOW2_CLUSTER_SIZE;
  const refBlocksOffset = refTableOffset + QCOW2_CLUSTER_SIZE;
  const l2Offset = refBlocksOffset + refBlocks * QCOW2_CLUSTER_SIZE;
  const dataOffset = l2Offset + l2Used.length * QCOW2_CLUSTER_SIZE;
  const metadata = Buffer.alloc(dataOffset);

  writeHeader(metadata, virtualSize, l1Size, l1Offset, refTableOffset);
  l2Used.forEach((l1Index, i) => metadata.writeBigUInt64BE(BigInt(l2Offset + i * QCOW2_CLUSTER_SIZE) | COPIED, l1Offset + l1Index * 8));
  for (let r = 0; r < refBlocks; r++) metadata.writeBigUInt64BE(BigInt(refBlocksOffset + r * QCOW2_CLUSTER_SIZE), refTableOffset + r * 8);
  // every cluster of the file is used exactly once
  for (let c = 0; c < totalClusters; c++) {
    const block = Math.floor(c / REFCOUNTS_PER_BLOCK);
    metadata.writeUInt16BE(1, refBlocksOffset + block * QCOW2_CLUSTER_SIZE + (c % REFCOUNTS_PER_BLOCK) * 2);
  }
  const dataOffsets = new Map<number, number>();
  const l2Slot = new Map(l2Used.map((l1Index, i) => [l1Index, l2Offset + i * QCOW2_CLUSTER_SIZE]));
  blocks.forEach((block, i) => {
    const offset = dataOffset + i * QCOW2_CLUSTER_SIZE;
    dataOffsets.set(block, offset);
    const table = l2Slot.get(Math.floor(block / L2_ENTRIES))!;
    metadata.writeBigUInt64BE(BigInt(offset) | COPIED, table + (block % L2_ENTRIES) * 8);
  });
  return { virtualSize, totalClusters, metadata, dataOffsets, fileSize: totalClusters * QCOW2_CLUSTER_SIZE };
}

function writeHeader(buf: Buffer, size: number, l1Size: number, l1Offset: number, refTableOffset: number): void {
  buf.write('QFI\xfb', 0, 'latin1');
  buf.writeUInt32BE(3, 4); // version
  // 8: backing file offset, 16: backing file size (none)
  buf.writeUInt32BE(CLUSTER_BITS, 20);
  buf.writeBigUInt64BE(BigInt(size), 24);
  // 32: crypt method (none)
  buf.writeUInt32BE(l1Size, 36);
  buf.writeBigUInt64BE(BigInt(l1Offset), 40);
  buf.writeBigUInt64BE(BigInt(refTableOffset), 48);
  buf.writeUInt32BE(1, 56); // refcount table clusters
  // 60: snapshots (none); 72..95: feature bits (none)
  buf.writeUInt32BE(REFCOUNT_ORDER, 96);
  buf.writeUInt32BE(HEADER_LENGTH, 100);
  // an end-of-extensions marker (type 0, length 0) follows at 104: already zero
}
