import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_SIZE, ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import { packIndexKey } from '../../runtime/core/store/format';
import { CorruptBlock } from '../../runtime/aws/s3-errors';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { HashPool } from '../../runtime/agent/hash-pool';
import { coalesce, exportVolume, importVolume } from '../../runtime/agent/importer';
import { planRuns, readVolumeBlocks } from '../../runtime/agent/reader';
import { startS3, type TestS3 } from '../helpers/s3rver';
import { makeSourceVolume, planFor, sha256, takesDirectIo, type SourceVolume } from './fixture';

const BLOCKS = 128; // 64 MiB
const SIZE = BLOCKS * BLOCK_SIZE;
let s3: TestS3;
let store: S3ReplicaStore;
let dir: string;
let source: SourceVolume;
let pool: HashPool;
beforeAll(async () => {
  s3 = await startS3();
  store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client({ agent: true }) });
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-agent-'));
  source = makeSourceVolume(join(dir, 'source.img'), BLOCKS);
  pool = new HashPool(2);
});
afterAll(async () => {
  await pool.close();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('coalesce', () => {
  it('merges writes adjacent both in the buffer and on the target, in target order', () => {
    const w = (offset: number, position: number, length = 10) => ({ offset, length, position });
    expect(coalesce([w(10, 110), w(0, 100), w(20, 500), w(30, 510), w(0, 0)])).toEqual([w(0, 0), w(0, 100, 20), w(20, 500, 20)]);
    // the same bytes at two places (a repeated block) are two writes
    expect(coalesce([w(0, 0), w(0, 10)])).toEqual([w(0, 0), w(0, 10)]);
  });
});

describe('planRuns', () => {
  it('merges contiguous blocks up to the run limit', () => {
    expect(planRuns([0, 1, 2, 3, 4, 7, 8, 10], 3)).toEqual([
      { first: 0, count: 3 },
      { first: 3, count: 2 },
      { first: 7, count: 2 },
      { first: 10, count: 1 },
    ]);
    expect(planRuns([], 4)).toEqual([]);
  });
});

describe('reader then importer on a 64 MiB volume', () => {
  // every block but those with i % 11 == 3 (never planned), so the importer must leave them alone
  const planned = Array.from({ length: BLOCKS }, (_, i) => i).filter((i) => i % 11 !== 3);
  let blockMap: Map<number, string>;

  it('stores every new planned block exactly once; zero and repeated blocks are not stored again', async () => {
    // block 1 is already in the store from an earlier sync: the reader must reuse it
    await store.putPack('web', source.block(1), [{ hash: sha256(source.block(1)), offset: 0, length: BLOCK_SIZE }]);
    const plan = planFor('vol-src', planned, SIZE);
    const result = await readVolumeBlocks({
      devicePath: source.path,
      plan,
      store,
      vpg: 'web',
      pool,
      packBytes: 4 * 1024 * 1024,
      uploadsInFlight: 2,
      runBytes: 2 * 1024 * 1024,
    });

    const expectedRefs = Object.fromEntries(planned.map((i) => [String(i), source.ref(i)]));
    expect(result.blocks).toEqual(expectedRefs);
    const newHashes = new Set(planned.map((i) => source.ref(i)).filter((r) => r !== ZERO_BLOCK && r !== sha256(source.block(1))));
    expect(result.blocksRead).toBe(planned.length);
    expect(result.bytesRead).toBe(planned.length * BLOCK_SIZE);
    expect(result.bytesStored).toBe(newHashes.size * BLOCK_SIZE);
    expect(result.packs.length).toBe(Math.ceil(newHashes.size / 8)); // 4 MiB packs hold 8 blocks

    // what is in the store: each new hash exactly once, across exactly the packs the result names
    const stored: string[] = [];
    for (const pack of result.packs) {
      const packId = pack.slice('packs/'.length, -'.pack'.length);
      const index = await store.getJson<{ blocks: Array<{ hash: string; offset: number; length: number }> }>(packIndexKey('web', packId));
      stored.push(...index!.blocks.map((b) => b.hash));
      const bytes = (await store.getBytes(`vpgs/web/${pack}`))!;
      // the pack id names its content: SHA-256 over its block hashes in order, each block's bytes matching its hash
      expect(sha256(Buffer.from(index!.blocks.map((b) => `${b.hash}\n`).join('')))).toBe(packId);
      for (const b of index!.blocks) expect(sha256(bytes.subarray(b.offset, b.offset + b.length))).toBe(b.hash);
      expect(bytes.length).toBe(index!.blocks.length * BLOCK_SIZE);
    }
    expect(stored.length).toBe(newHashes.size);
    expect(new Set(stored)).toEqual(newHashes);
    blockMap = new Map(Object.entries(result.blocks).map(([k, v]) => [Number(k), v]));
  });

  it('the importer onto a fresh sparse file reproduces every planned block', async () => {
    const target = join(dir, 'target.img');
    writeFileSync(target, '');
    statSync(target);
    require('node:fs').truncateSync(target, SIZE);
    const stats = await importVolume({ devicePath: target, blockMap, sizeBytes: SIZE, store, vpg: 'web', blank: true, pool });
    const out = readFileSync(target);
    for (const i of planned) expect(out.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE).equals(source.block(i))).toBe(true);
    const nonZeroPlanned = planned.filter((i) => source.ref(i) !== ZERO_BLOCK);
    expect(stats).toEqual({ blocksWritten: nonZeroPlanned.length, bytesWritten: nonZeroPlanned.length * BLOCK_SIZE, directIo: takesDirectIo(dir) });
    for (let i = 0; i < BLOCKS; i++) if (!planned.includes(i)) expect(out.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE).every((b) => b === 0)).toBe(true);
  });

  it('onto a used target it also writes zeros, where the map says zero or nothing', async () => {
    const target = join(dir, 'used.img');
    writeFileSync(target, Buffer.alloc(SIZE, 0xaa));
    const stats = await importVolume({ devicePath: target, blockMap, sizeBytes: SIZE, store, vpg: 'web', blank: false, pool });
    const out = readFileSync(target);
    for (let i = 0; i < BLOCKS; i++) {
      const want = planned.includes(i) ? source.block(i) : Buffer.alloc(BLOCK_SIZE);
      expect(out.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE).equals(want)).toBe(true);
    }
    expect(stats.bytesWritten).toBe(SIZE);
  });

  describe('with direct I/O (as onto a block device)', () => {
    const expectRestored = (target: string, blank: boolean) => {
      const out = readFileSync(target);
      for (let i = 0; i < BLOCKS; i++) {
        const want = planned.includes(i) ? source.block(i) : Buffer.alloc(BLOCK_SIZE);
        if (planned.includes(i) || !blank) expect(out.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE).equals(want)).toBe(true);
      }
    };

    it('writes every block straight from the aligned buffers, where the filesystem takes O_DIRECT', async () => {
      const target = join(dir, 'direct.img');
      writeFileSync(target, Buffer.alloc(SIZE, 0xaa));
      const stats = await importVolume({ devicePath: target, blockMap, sizeBytes: SIZE, store, vpg: 'web', blank: false, pool });
      // A misaligned buffer, offset or length would have failed the write with EINVAL (this dir is on ext4 here).
      expect(stats.directIo).toBe(takesDirectIo(dir));
      expect(stats.bytesWritten).toBe(SIZE);
      expectRestored(target, false);
    });

    it('goes through the page cache when a write could be unaligned (a size that is not whole 4 KiB units)', async () => {
      const target = join(dir, 'odd.img');
      writeFileSync(target, Buffer.alloc(SIZE + 512, 0xaa));
      const stats = await importVolume({ devicePath: target, blockMap, sizeBytes: SIZE + 512, store, vpg: 'web', blank: false, pool });
      expect(stats.directIo).toBe(false);
      expectRestored(target, false);
      expect(
        readFileSync(target)
          .subarray(SIZE)
          .every((b) => b === 0),
      ).toBe(true); // the short last block: zeros
    });

    it('goes through the page cache when told to', async () => {
      const target = join(dir, 'buffered.img');
      writeFileSync(target, Buffer.alloc(SIZE, 0xaa));
      const stats = await importVolume({ devicePath: target, directIo: false, blockMap, sizeBytes: SIZE, store, vpg: 'web', blank: false, pool });
      expect(stats.directIo).toBe(false);
      expectRestored(target, false);
    });
  });

  it('refuses a pack index that places a block off a block boundary, before writing anything', async () => {
    const locations = new Map(await store.knownHashes('web'));
    const [hash, loc] = [...locations].find(([h]) => blockMap.get(planned[2]) === h)!;
    locations.set(hash, { ...loc, offset: loc.offset + 4096 });
    const target = join(dir, 'astray.img');
    writeFileSync(target, Buffer.alloc(SIZE, 0xaa));
    await expect(importVolume({ devicePath: target, blockMap, sizeBytes: SIZE, store, vpg: 'web', blank: true, pool, locations })).rejects.toThrow(
      new RegExp(
        `block ${hash} at offset ${loc.offset + 4096}, length ${BLOCK_SIZE}: not a whole ${BLOCK_SIZE}-byte block on a block boundary, so its index is damaged`,
      ),
    );
    expect(readFileSync(target).every((b) => b === 0xaa)).toBe(true);
  });

  it('onto a character device such as /dev/null: everything is written, and there is nothing to fsync', async () => {
    const stats = await importVolume({ devicePath: '/dev/null', blockMap, sizeBytes: SIZE, store, vpg: 'web', blank: true, pool });
    expect(stats.blocksWritten).toBe(planned.filter((i) => source.ref(i) !== ZERO_BLOCK).length);
    expect(stats.directIo).toBe(false);
  });

  it('exports a raw image with zero blocks left as holes', async () => {
    const image = join(dir, 'export.raw');
    const stats = await exportVolume({ filePath: image, blockMap, sizeBytes: SIZE, store, vpg: 'web', pool });
    expect(stats.directIo).toBe(takesDirectIo(dir)); // holes and all: direct I/O allocates only what it writes
    const st = statSync(image);
    expect(st.size).toBe(SIZE);
    const out = readFileSync(image);
    for (const i of planned) expect(out.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE).equals(source.block(i))).toBe(true);
    const written = planned.filter((i) => source.ref(i) !== ZERO_BLOCK).length * BLOCK_SIZE;
    expect(st.blocks * 512).toBeLessThanOrEqual(written + 64 * 1024);
  });

  it('a corrupted stored block fails the import, naming the block and the checkpoint', async () => {
    const victim = planned.find((i) => source.ref(i) !== ZERO_BLOCK && i % 7 !== 0 && i !== 1)!;
    const hash = source.ref(victim);
    const loc = (await store.knownHashes('web')).get(hash)!;
    const file = join(s3.directory, s3.bucket, `${loc.packKey}._S3rver_object`);
    const raw = readFileSync(file);
    raw[loc.offset + 12345] ^= 0x01;
    writeFileSync(file, raw);
    const target = join(dir, 'corrupt-target.img');
    writeFileSync(target, Buffer.alloc(0));
    require('node:fs').truncateSync(target, SIZE);
    const error = await importVolume({ devicePath: target, blockMap, sizeBytes: SIZE, store, vpg: 'web', checkpointId: 'cp-20261125T153000Z-abc', pool }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CorruptBlock);
    expect((error as Error).message).toContain(hash);
    expect((error as Error).message).toContain(`block ${victim} of checkpoint cp-20261125T153000Z-abc`);
    // a range is written only once every block of it verified: the corrupt block never reached the target
    expect(
      readFileSync(target)
        .subarray(victim * BLOCK_SIZE, (victim + 1) * BLOCK_SIZE)
        .equals(Buffer.alloc(BLOCK_SIZE)),
    ).toBe(true);
    raw[loc.offset + 12345] ^= 0x01;
    writeFileSync(file, raw);
  });
});
