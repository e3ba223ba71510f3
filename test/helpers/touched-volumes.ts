/**
 * Writes to protected volumes that remember which blocks they touched, so a capture of what the volumes hold reads
 * only those blocks (the rest of a new volume is zeros): MiBs instead of the volumes' whole GiBs.
 */
import { createHash } from 'node:crypto';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { readVolume, seededBytes, writeVolume, type ProtectedVolume } from '../../bin/demo/workload';
import { isZero, type VolumeImage } from '../../bin/demo/verify';

export class TouchedVolumes {
  /** Volume index → blocks ever written. */
  private readonly touched: Array<Set<number>>;

  constructor(
    private readonly url: string,
    private readonly volumes: readonly ProtectedVolume[],
  ) {
    this.touched = volumes.map(() => new Set<number>());
  }

  /** Seeded bytes over `blocks` blocks of volume `volume` from `firstBlock`. */
  async write(volume: number, firstBlock: number, blocks: number, seed: string): Promise<void> {
    for (let b = firstBlock; b < firstBlock + blocks; b++) this.touched[volume].add(b);
    await writeVolume(this.url, this.volumes[volume].volumeId, firstBlock * BLOCK_SIZE, seededBytes(seed, blocks * BLOCK_SIZE));
  }

  /** Zeros over one block (as a trim leaves it). */
  async trim(volume: number, block: number): Promise<void> {
    this.touched[volume].add(block);
    await writeVolume(this.url, this.volumes[volume].volumeId, block * BLOCK_SIZE, Buffer.alloc(BLOCK_SIZE));
  }

  /** What the volumes hold now: every block ever written, read back from the cloud. */
  async images(): Promise<Map<string, VolumeImage>> {
    const out = new Map<string, VolumeImage>();
    for (const [i, volume] of this.volumes.entries()) {
      const blocks = new Map<number, string>();
      for (const index of [...this.touched[i]].sort((a, b) => a - b)) {
        const bytes = await readVolume(this.url, volume.volumeId, index * BLOCK_SIZE, BLOCK_SIZE);
        if (!isZero(bytes)) blocks.set(index, createHash('sha256').update(bytes).digest('hex'));
      }
      out.set(volume.volumeId, { sourceVolumeId: volume.volumeId, sizeBytes: volume.sizeBytes, blocks, sha256: '' });
    }
    return out;
  }
}
