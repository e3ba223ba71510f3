/** A source "volume" file with random, zero and repeated blocks, and the refs it must produce. */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCK_SIZE, ZERO_BLOCK, type BlockPlan } from '../../runtime/core/workers/agent-job';

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface SourceVolume {
  readonly path: string;
  readonly bytes: Buffer;
  readonly blocks: number;
  block(index: number): Buffer;
  /** The ref the reader must report for a block. */
  ref(index: number): string;
}

/** Block i: zeros when i % 5 == 0, a shared repeated block when i % 7 == 0, else random. */
export function makeSourceVolume(path: string, blocks: number): SourceVolume {
  const bytes = Buffer.alloc(blocks * BLOCK_SIZE);
  const repeated = randomBytes(BLOCK_SIZE);
  for (let i = 0; i < blocks; i++) {
    if (i % 5 === 0) continue;
    (i % 7 === 0 ? repeated : randomBytes(BLOCK_SIZE)).copy(bytes, i * BLOCK_SIZE);
  }
  writeFileSync(path, bytes);
  const block = (i: number) => bytes.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
  return {
    path,
    bytes,
    blocks,
    block,
    ref: (i) => (i % 5 === 0 ? ZERO_BLOCK : sha256(block(i))),
  };
}

export function planFor(sourceVolumeId: string, blocks: number[], sizeBytes: number): BlockPlan {
  return { sourceVolumeId, snapshotId: 'snap-1', baseSnapshotId: null, sizeBytes, blocks };
}

/** Whether files in `dir` open with O_DIRECT (ext4 and xfs do; tmpfs before Linux 6.6 does not). */
export function takesDirectIo(dir: string): boolean {
  const probe = join(dir, 'probe-direct-io');
  writeFileSync(probe, '');
  try {
    closeSync(openSync(probe, constants.O_RDWR | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe);
  }
}
