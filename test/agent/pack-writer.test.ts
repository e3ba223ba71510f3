import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import type { PackIndexEntry } from '../../runtime/core/store/pack-index';
import { HashPool } from '../../runtime/agent/hash-pool';
import { PackWriter, type BufferHold, type PackSink } from '../../runtime/agent/pack-writer';
import { readVolumeBlocks, type ReaderStore } from '../../runtime/agent/reader';
import { makeSourceVolume, planFor, sha256 } from './fixture';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store whose uploads take a while and check their bytes only when they finish, as a socket would send them. */
class SlowCheckingStore implements ReaderStore {
  readonly packs: Array<{ bytes: Buffer; index: readonly PackIndexEntry[] }> = [];
  bad = 0;
  async knownHashes() {
    return new Map();
  }
  async putPack(vpg: string, data: Uint8Array | readonly Uint8Array[], index: readonly PackIndexEntry[], packId?: string) {
    const chunks = data instanceof Uint8Array ? [data] : data;
    await tick(5 + (this.packs.length % 3) * 5);
    const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c))); // read the views only now
    for (const e of index) if (sha256(bytes.subarray(e.offset, e.offset + e.length)) !== e.hash) this.bad++;
    this.packs.push({ bytes, index });
    return { packId: packId!, packKey: `vpgs/${vpg}/packs/${packId}.pack` };
  }
}

describe('packs hold views of the run buffers, not copies', () => {
  let dir: string;
  let pool: HashPool;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeboat-packs-'));
    pool = new HashPool(2);
  });
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a run buffer is not reused while a pack still holding a view of it is being uploaded', async () => {
    const source = makeSourceVolume(join(dir, 'src.img'), 96);
    const store = new SlowCheckingStore();
    const planned = Array.from({ length: 96 }, (_, i) => i);
    // tiny runs, tiny packs, several uploads in flight: buffers cycle fast between runs and packs
    const r = await readVolumeBlocks({
      devicePath: source.path,
      plan: planFor('vol-1', planned, 96 * BLOCK_SIZE),
      store,
      vpg: 'v',
      pool,
      runBytes: 2 * BLOCK_SIZE,
      readAhead: 3,
      packBytes: 3 * BLOCK_SIZE,
      uploadsInFlight: 3,
    });
    expect(store.bad).toBe(0);
    const stored = store.packs.flatMap((p) => p.index.map((e) => e.hash));
    expect(new Set(stored).size).toBe(stored.length);
    expect(r.bytesStored).toBe(stored.length * BLOCK_SIZE);
  });
});

describe('PackWriter', () => {
  const hold = () => {
    const h = { held: 0, retains: 0, retain: () => void (h.held++, h.retains++), release: () => void h.held-- };
    return h satisfies BufferHold;
  };
  const sink = (fail = false): PackSink & { chunks: number[] } => {
    const chunks: number[] = [];
    return {
      chunks,
      async putPack(_vpg, data, _index, packId) {
        chunks.push(data instanceof Uint8Array ? 1 : data.length);
        if (fail) throw new Error('store down');
        return { packId: packId!, packKey: `packs/${packId}.pack` };
      },
    };
  };

  it('merges blocks that lie back to back in one buffer into one chunk, and releases every hold once uploaded', async () => {
    const buffer = new ArrayBuffer(4 * 8);
    const h = hold();
    const store = sink();
    const writer = new PackWriter({ store, vpg: 'v', packBytes: 64, uploadsInFlight: 2 });
    await writer.add('a', new Uint8Array(buffer, 0, 8), h);
    await writer.add('b', new Uint8Array(buffer, 8, 8), h);
    await writer.add('c', new Uint8Array(buffer, 24, 8), h); // a gap: a new chunk
    expect(h.retains).toBe(1); // one hold per pack, however many of its blocks share the buffer
    await writer.finish();
    expect(store.chunks).toEqual([2]);
    expect(h.held).toBe(0);
  });

  it('a failed upload still releases its holds, and the failure reaches the caller', async () => {
    const h = hold();
    const writer = new PackWriter({ store: sink(true), vpg: 'v', packBytes: 8, uploadsInFlight: 1 });
    await writer.add('a', new Uint8Array(8), h);
    await expect(writer.finish()).rejects.toThrow('store down');
    expect(h.held).toBe(0);
  });

  it('settle after a failure drops the unsent pack and its holds', async () => {
    const h = hold();
    const writer = new PackWriter({ store: sink(), vpg: 'v', packBytes: 64, uploadsInFlight: 1 });
    await writer.add('a', new Uint8Array(8), h);
    await writer.settle();
    expect(h.held).toBe(0);
  });
});
