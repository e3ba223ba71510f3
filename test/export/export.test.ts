/**
 * Export of a checkpoint's volume as raw and qcow2 images, from a store the real agent reader populated
 * (s3rver): exact bytes, sparse raw files, qemu-img-valid qcow2, and corrupt or missing blocks that fail
 * naming the block, the pack and the checkpoint, leaving no file behind.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { buildManifest, checkpointKey } from '../../runtime/core/store/format';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { HashPool } from '../../runtime/agent/hash-pool';
import { readVolumeBlocks } from '../../runtime/agent/reader';
import { UsageError } from '../../bin/commands/context';
import { exportCheckpointVolume, summaryLine } from '../../bin/export/export-volume';
import type { ImageFormat } from '../../bin/export/image-writer';
import { startS3, type TestS3 } from '../helpers/s3rver';
import { makeSourceVolume, planFor, sha256 } from '../agent/fixture';

const VPG = 'web';
const VOLUME = 'vol-src';
const BLOCKS = 64; // 32 MiB
const SIZE = BLOCKS * BLOCK_SIZE;
const T1 = '2026-11-20T10:00:00.000Z';
const T2 = '2026-11-20T11:00:00.000Z';

const hasQemuImg = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let s3: TestS3;
let store: S3ReplicaStore;
let dir: string;
let pool: HashPool;
const images: { first: Buffer; second: Buffer } = { first: Buffer.alloc(0), second: Buffer.alloc(0) };
const ids: { first: string; second: string } = { first: '', second: '' };

async function readAndCommit(sourcePath: string, blocks: number[], createdAt: string, syncId: string, parentId: string | null): Promise<string> {
  const result = await readVolumeBlocks({ devicePath: sourcePath, plan: planFor(VOLUME, blocks, SIZE), store, vpg: VPG, pool, packBytes: 4 * 1024 * 1024 });
  const manifest = buildManifest({
    vpg: VPG,
    syncId,
    createdAt,
    parentId,
    full: parentId === null,
    volumes: [{ sourceVolumeId: VOLUME, sourceInstanceId: 'i-1', device: '/dev/xvdb', sizeBytes: SIZE, snapshotId: `snap-${syncId}` }],
    results: [{ jobId: syncId, volumes: [result], packs: result.packs }],
  });
  await store.commitCheckpoint(manifest);
  return manifest.id;
}

function exportTo(format: ImageFormat, output: string, checkpoint = 'latest', sourceVolumeId = VOLUME) {
  return exportCheckpointVolume({ store, vpg: VPG, sourceVolumeId, checkpoint, format, output });
}

beforeAll(async () => {
  s3 = await startS3();
  store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client({ agent: true }), onProblem: () => {} });
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-export-'));
  pool = new HashPool(2);
  // checkpoint 1: the whole volume (zeros at i%5, a repeated block at i%7, random elsewhere)
  const source = makeSourceVolume(join(dir, 'source.img'), BLOCKS);
  images.first = Buffer.from(source.bytes);
  ids.first = await readAndCommit(
    source.path,
    Array.from({ length: BLOCKS }, (_, i) => i),
    T1,
    'sync-aaaa0001',
    null,
  );
  // checkpoint 2: overwrites, a trim (block 3 → zeros), a block that was zero now holds data (block 10)
  const second = Buffer.from(source.bytes);
  const changed = [1, 3, 10, 33, 63];
  for (const i of changed) (i === 3 ? Buffer.alloc(BLOCK_SIZE) : randomBytes(BLOCK_SIZE)).copy(second, i * BLOCK_SIZE);
  writeFileSync(source.path, second);
  images.second = second;
  ids.second = await readAndCommit(source.path, changed, T2, 'sync-aaaa0002', ids.first);
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

const nonZeroBytes = (image: Buffer) => {
  let n = 0;
  for (let i = 0; i < image.length; i += BLOCK_SIZE) if (image.subarray(i, i + BLOCK_SIZE).some((b) => b !== 0)) n += BLOCK_SIZE;
  return n;
};

describe('lifeboat export (in process, over a real store)', () => {
  it('raw: the latest checkpoint, resolved through its parent, byte for byte; holes where blocks are zero', async () => {
    const out = join(dir, 'latest.raw');
    const result = await exportTo('raw', out);
    expect(result.checkpointId).toBe(ids.second);
    const st = statSync(out);
    expect(st.size).toBe(SIZE);
    expect(sha256(readFileSync(out))).toBe(sha256(images.second));
    const dataBytes = nonZeroBytes(images.second);
    expect(result.bytesWritten).toBe(dataBytes);
    expect(result.blocks).toBe(dataBytes / BLOCK_SIZE);
    // sparse: allocated space no more than the data (plus a little file system slack), well under the size
    expect(st.blocks * 512).toBeLessThanOrEqual(dataBytes + 64 * 1024);
    expect(st.blocks * 512).toBeLessThan(SIZE);
    expect(summaryLine(result, 'raw', out)).toMatch(new RegExp(`${ids.second}.*${dataBytes} bytes written, ${dataBytes / BLOCK_SIZE} blocks, [\\d.]+ MiB/s`));
  });

  it('raw: an older checkpoint by id and by a time between the two', async () => {
    const byId = join(dir, 'first.raw');
    expect((await exportTo('raw', byId, ids.first)).checkpointId).toBe(ids.first);
    expect(sha256(readFileSync(byId))).toBe(sha256(images.first));
    const byTime = join(dir, 'first-by-time.raw');
    expect((await exportTo('raw', byTime, '2026-11-20T10:30:00Z')).checkpointId).toBe(ids.first);
    expect(sha256(readFileSync(byTime))).toBe(sha256(images.first));
  });

  it('qcow2: qemu-img check passes and qemu-img compare equals the raw export', async () => {
    const qcow = join(dir, 'latest.qcow2');
    const result = await exportTo('qcow2', qcow);
    expect(result.blocks).toBe(nonZeroBytes(images.second) / BLOCK_SIZE);
    expect(readFileSync(qcow).subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
    expect(statSync(qcow).size).toBe(result.fileSize);
    if (!hasQemuImg) {
      console.warn('SKIPPING qemu-img check/compare of the qcow2 export: qemu-img is not installed (apt-get install qemu-utils)');
      return;
    }
    expect(() => execFileSync('qemu-img', ['check', qcow], { stdio: 'pipe' })).not.toThrow();
    const raw = join(dir, 'latest-for-compare.raw');
    await exportTo('raw', raw);
    // exit 0 = identical guest-visible content; it throws on any difference
    expect(execFileSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', qcow, raw], { encoding: 'utf8' })).toMatch(/identical/i);
  });

  it('an unknown volume or checkpoint is a usage error that lists what exists', async () => {
    const vol = await exportTo('raw', join(dir, 'x.raw'), 'latest', 'vol-nope').catch((e: unknown) => e);
    expect(vol).toBeInstanceOf(UsageError);
    expect((vol as Error).message).toMatch(new RegExp(`volume vol-nope is not in checkpoint ${ids.second}.*its volumes: ${VOLUME} \\(instance i-1 /dev/xvdb`));
    const cp = await exportTo('raw', join(dir, 'x.raw'), 'cp-20261120T103000Z-nope').catch((e: unknown) => e);
    expect(cp).toBeInstanceOf(UsageError);
    expect((cp as Error).message).toMatch(new RegExp(`nearest before: ${ids.first}.*nearest after: ${ids.second}`));
    const early = await exportTo('raw', join(dir, 'x.raw'), '2026-01-01T00:00:00Z').catch((e: unknown) => e);
    expect((early as Error).message).toMatch(new RegExp(`no checkpoint at or before 2026-01-01T00:00:00.000Z; the oldest is ${ids.first}`));
    expect(readdirSync(dir).filter((f) => f.startsWith('x.raw') || f.includes('partial'))).toEqual([]);
  });

  it.each(['raw', 'qcow2'] as const)('%s: a corrupted block fails naming the block, its pack and the checkpoint, and leaves no file', async (format) => {
    const hash = sha256(images.second.subarray(33 * BLOCK_SIZE, 34 * BLOCK_SIZE));
    const loc = (await store.knownHashes(VPG)).get(hash)!;
    const file = join(s3.directory, s3.bucket, `${loc.packKey}._S3rver_object`);
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    damaged[loc.offset + 4242] ^= 0x40;
    writeFileSync(file, damaged);
    try {
      const out = join(dir, `corrupt.${format}`);
      const err = await exportTo(format, out).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'CorruptBlock' });
      const message = (err as Error).message;
      expect(message).toContain(hash);
      expect(message).toContain(loc.packKey);
      expect(message).toContain(`block 33 of checkpoint ${ids.second}`);
      expect(readdirSync(dir).filter((f) => f.includes('corrupt') || f.includes('partial'))).toEqual([]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('a missing pack object fails naming the pack and the checkpoint, and leaves no file', async () => {
    const hash = sha256(images.second.subarray(10 * BLOCK_SIZE, 11 * BLOCK_SIZE));
    const loc = (await store.knownHashes(VPG)).get(hash)!;
    const file = join(s3.directory, s3.bucket, `${loc.packKey}._S3rver_object`);
    const original = readFileSync(file);
    unlinkSync(file);
    try {
      const out = join(dir, 'missing.raw');
      const err = await exportTo('raw', out).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'MissingBlock' });
      expect((err as Error).message).toContain(loc.packKey);
      expect((err as Error).message).toContain(`of checkpoint ${ids.second}`);
      expect(readdirSync(dir).filter((f) => f.includes('missing') || f.includes('partial'))).toEqual([]);
    } finally {
      writeFileSync(file, original);
    }
  });
  it.each([['-1'], ['1.5'], ['0x10'], [String(BLOCKS)]])(
    'a manifest with the block key %j fails naming checkpoint, volume and key, and leaves no partial output',
    async (key) => {
      const manifestKey = checkpointKey(VPG, ids.second);
      const original = (await store.getBytes(manifestKey))!;
      const manifest = JSON.parse(original.toString('utf8'));
      manifest.volumes[0].blocks[key] = manifest.volumes[0].blocks['1'];
      await store.putJson(manifestKey, manifest);
      try {
        const fresh = join(dir, `corrupt-key-${key.replace(/[^0-9a-z]/g, 'x')}.raw`);
        const kept = join(dir, 'kept.raw');
        writeFileSync(kept, 'an earlier export');
        for (const [format, out] of [
          ['raw', fresh],
          ['qcow2', fresh],
          ['raw', kept],
        ] as const) {
          const err = await exportTo(format, out).catch((e: unknown) => e);
          expect(err).toMatchObject({ name: 'CorruptManifest', checkpointId: ids.second, sourceVolumeId: VOLUME, key });
          expect((err as Error).message).toContain(`checkpoint ${ids.second} of VPG ${VPG}, volume ${VOLUME}: block key "${key}"`);
        }
        expect(existsSync(fresh)).toBe(false);
        expect(readFileSync(kept, 'utf8')).toBe('an earlier export');
        expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
      } finally {
        await store.putBytes(manifestKey, original, 'application/json');
      }
    },
  );

  it("a person's copy of a manifest under checkpoints/ changes nothing: the export is still byte-exact", async () => {
    const copy = `vpgs/${VPG}/checkpoints/cp-copy (1).json`;
    await store.putBytes(copy, (await store.getBytes(checkpointKey(VPG, ids.second)))!, 'application/json');
    try {
      const out = join(dir, 'with-stray.raw');
      expect((await exportTo('raw', out)).checkpointId).toBe(ids.second);
      expect(readFileSync(out).equals(images.second)).toBe(true);
      expect((await store.inspect(VPG)).map((p) => [p.kind, p.key])).toEqual([['stray-object', copy]]);
    } finally {
      await store.deletePrefix(copy);
    }
  });
});
