/**
 * The benchmark's source volume: a sparse device file with a block plan over half its blocks, in runs of
 * 1-64 blocks (a realistic changed-block list), some planned blocks zero (trimmed) and some duplicates
 * of others (dedup). Also writes the planned bytes back to back into a payload file for the baselines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BLOCK_SIZE, type BlockPlan } from '../../runtime/core/workers/agent-job';
import { seededRandom } from '@lifeboat/offline-cloud/src/faults';

export interface VolumeFixture {
  readonly devicePath: string;
  readonly payloadPath: string;
  readonly sizeBytes: number;
  readonly plan: BlockPlan;
  readonly zeroBlocks: number;
  readonly duplicateBlocks: number;
}

export function buildVolume(dir: string, sizeBytes: number, seed = 7): VolumeFixture {
  const random = seededRandom(seed); // mulberry32: the same volume every run
  const total = Math.floor(sizeBytes / BLOCK_SIZE);
  const blocks: number[] = [];
  // Alternate planned and unplanned runs of 1-64 blocks until half the volume is planned.
  for (let i = 0; i < total;) {
    const planned = 1 + Math.floor(random() * 64);
    for (let j = 0; j < planned && i + j < total && blocks.length < total / 2; j++) blocks.push(i + j);
    i += planned + 1 + Math.floor(random() * 64);
  }
  const devicePath = path.join(dir, 'device.img');
  const payloadPath = path.join(dir, 'payload.bin');
  const device = fs.openSync(devicePath, 'w');
  const payload = fs.openSync(payloadPath, 'w');
  fs.ftruncateSync(device, sizeBytes);
  const noise = Buffer.alloc(BLOCK_SIZE);
  for (let i = 0; i < BLOCK_SIZE; i += 4) noise.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  const zero = Buffer.alloc(BLOCK_SIZE);
  let zeroBlocks = 0,
    duplicateBlocks = 0;
  const block = Buffer.alloc(BLOCK_SIZE);
  for (const index of blocks) {
    const r = random();
    let bytes: Buffer;
    if (r < 0.1) {
      bytes = zero; // planned but trimmed: the reader must elide it
      zeroBlocks++;
    } else {
      noise.copy(block);
      // A duplicate repeats one of 64 shared contents; every other block is unique.
      const dup = r < 0.15;
      if (dup) duplicateBlocks++;
      block.writeUInt32LE(dup ? Math.floor(random() * 64) : index + 1000, 0);
      block.writeUInt32LE(dup ? 0xd0d0 : 0, 4);
      bytes = block;
    }
    if (bytes !== zero) fs.writeSync(device, bytes, 0, BLOCK_SIZE, index * BLOCK_SIZE);
    fs.writeSync(payload, bytes);
  }
  fs.closeSync(device);
  fs.closeSync(payload);
  return {
    devicePath,
    payloadPath,
    sizeBytes,
    plan: { sourceVolumeId: 'vol-0bench000000000001', snapshotId: 'snap-0bench000000000001', baseSnapshotId: 'snap-0bench000000000000', sizeBytes, blocks },
    zeroBlocks,
    duplicateBlocks,
  };
}
