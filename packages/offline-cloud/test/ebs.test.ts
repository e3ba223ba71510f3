import fs from 'node:fs';
import { QUICK_TIMINGS } from '../src/testing';
import { CloudClock } from '../src/clock';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  AccessDeniedException,
  CompleteSnapshotCommand,
  ConflictException,
  EBSClient,
  GetSnapshotBlockCommand,
  ListChangedBlocksCommand,
  ListSnapshotBlocksCommand,
  paginateListChangedBlocks,
  paginateListSnapshotBlocks,
  PutSnapshotBlockCommand,
  ResourceNotFoundException,
  StartSnapshotCommand,
  ValidationException,
} from '@aws-sdk/client-ebs';
import { DEFAULT_FAULTS, type CloudContext } from '../src/context';
import { createEdgeHandler, listen, type Listening } from '../src/edge';
import { createEbsService, InMemorySnapshotRegistry } from '../src/ebs/index';
import { adminRoute } from '../src/admin/index';
import { EBS_BLOCK_SIZE as BS, FileVolumeStorage } from '../src/storage/file-volume-storage';

const ACCOUNT = '000000000000';
const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64sha = (b: Uint8Array) => createHash('sha256').update(b).digest('base64');
const filled = (byte: number) => Buffer.alloc(BS, byte);

let dir: string;
let storage: FileVolumeStorage;
let registry: InMemorySnapshotRegistry;
let server: Listening;
let ebs: EBSClient;

function context(dataDir: string): CloudContext {
  return {
    dataDir,
    endpoint: () => server.url,
    region: 'us-east-1',
    accountId: ACCOUNT,
    faults: { ...DEFAULT_FAULTS },
    timings: QUICK_TIMINGS,
    clock: new CloudClock(),
    faultCounts: {},
    markDirty: () => undefined,
    log: () => undefined,
  };
}

async function startCloud(): Promise<void> {
  const ctx = context(dir);
  server = await listen(createEdgeHandler({ services: [createEbsService(ctx, storage, registry)], routes: [adminRoute(storage, ctx)] }));
  ebs = new EBSClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-ebs-'));
  storage = new FileVolumeStorage(path.join(dir, 'volumes'));
  registry = new InMemorySnapshotRegistry();
  await startCloud();
});
afterEach(async () => {
  ebs.destroy();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Captures the volume and registers the snapshot, as the EC2 emulator does. */
function snapshot(volumeId: string, snapshotId: string, opts: { state?: 'pending' | 'completed'; lineage?: string; ownerId?: string } = {}): void {
  storage.captureSnapshots([{ snapshotId, volumeId }]);
  registry.add({
    snapshotId,
    volumeId,
    volumeSize: Math.ceil(fs.statSync(storage.volumePath(volumeId)).size / 1024 ** 3),
    state: opts.state ?? 'completed',
    startTime: new Date(),
    tags: {},
    ownerId: opts.ownerId ?? ACCOUNT,
    lineage: opts.lineage ?? volumeId,
  });
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; Reason?: string; status?: number; err: unknown }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; Reason?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, Reason: e.Reason, status: e.$metadata?.httpStatusCode, err };
  }
  throw new Error('expected the call to fail');
}

async function allSnapshotBlocks(snapshotId: string, pageSize = 100) {
  const blocks: Array<{ BlockIndex?: number; BlockToken?: string }> = [];
  let pages = 0;
  for await (const page of paginateListSnapshotBlocks({ client: ebs, pageSize }, { SnapshotId: snapshotId })) {
    pages++;
    blocks.push(...(page.Blocks ?? []));
  }
  return { blocks, pages };
}

describe('ListSnapshotBlocks', () => {
  test('lists exactly the allocated blocks, across pages', async () => {
    storage.createVolume('vol-1', 1024 * MiB);
    const written = new Set<number>();
    for (let i = 0; i < 250; i++) written.add((i * 7) % 2048);
    for (const index of written) storage.writeVolume('vol-1', index * BS + 3, Buffer.from([index % 255, 1]));
    snapshot('vol-1', 'snap-1');

    const { blocks, pages } = await allSnapshotBlocks('snap-1');
    expect(pages).toBe(3);
    expect(blocks.map((b) => b.BlockIndex)).toEqual([...written].sort((a, b) => a - b));
    expect(new Set(blocks.map((b) => b.BlockToken)).size).toBe(250);

    const first = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-1', MaxResults: 100, StartingBlockIndex: 1000 }));
    expect(first.BlockSize).toBe(524288);
    expect(first.VolumeSize).toBe(1);
    expect(first.ExpiryTime!.getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
    expect(first.Blocks![0].BlockIndex).toBe([...written].sort((a, b) => a - b).find((i) => i >= 1000));
    expect(first.NextToken).toBeDefined();
  });

  test('refuses a pending snapshot, an unknown one, a foreign one, and bad paging', async () => {
    storage.createVolume('vol-1', 8 * MiB);
    snapshot('vol-1', 'snap-pending', { state: 'pending' });
    snapshot('vol-1', 'snap-foreign', { ownerId: '111122223333' });
    snapshot('vol-1', 'snap-ok');

    const pending = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-pending' })));
    expect(pending.err).toBeInstanceOf(ValidationException);
    expect(pending.Reason).toBe('INVALID_SNAPSHOT_ID');
    const unknown = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-nope' })));
    expect(unknown.err).toBeInstanceOf(ResourceNotFoundException);
    expect([unknown.status, unknown.Reason]).toEqual([404, 'SNAPSHOT_NOT_FOUND']);
    const foreign = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-foreign' })));
    expect(foreign.err).toBeInstanceOf(AccessDeniedException);
    const tooSmall = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-ok', MaxResults: 99 })));
    expect([tooSmall.name, tooSmall.Reason]).toEqual(['ValidationException', 'INVALID_PARAMETER_VALUE']);
    const badToken = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-ok', NextToken: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })));
    expect([badToken.name, badToken.Reason]).toEqual(['ValidationException', 'INVALID_PAGE_TOKEN']);
  });
});

describe('ListChangedBlocks and GetSnapshotBlock', () => {
  beforeEach(() => {
    storage.createVolume('vol-1', 64 * MiB);
    for (const i of [1, 2, 3, 4]) storage.writeVolume('vol-1', i * BS, filled(i));
    snapshot('vol-1', 'snap-a');
    storage.writeVolume('vol-1', 2 * BS, filled(0x22)); // new content
    storage.writeVolume('vol-1', 3 * BS, Buffer.alloc(BS)); // overwritten with zeros
    storage.writeVolume('vol-1', 4 * BS, filled(4)); // rewritten with the same bytes: not a change
    storage.writeVolume('vol-1', 10 * BS + 100, Buffer.from('new')); // a newly allocated block
    snapshot('vol-1', 'snap-b');
  });

  test('reports exactly the blocks whose content changed, with the right tokens', async () => {
    const out = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: 'snap-a', SecondSnapshotId: 'snap-b' }));
    expect(out.ChangedBlocks!.map((b) => [b.BlockIndex, !!b.FirstBlockToken, !!b.SecondBlockToken])).toEqual([
      [2, true, true],
      [3, true, true],
      [10, false, true],
    ]);
    expect([out.VolumeSize, out.BlockSize, out.NextToken]).toEqual([1, 524288, undefined]);

    const whole = await ebs.send(new ListChangedBlocksCommand({ SecondSnapshotId: 'snap-b' }));
    expect(whole.ChangedBlocks!.map((b) => [b.BlockIndex, !!b.FirstBlockToken])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, false],
      [10, false],
    ]);
    const from3 = await ebs.send(
      new ListChangedBlocksCommand({ FirstSnapshotId: 'snap-a', SecondSnapshotId: 'snap-b', StartingBlockIndex: 3, MaxResults: 100 }),
    );
    expect(from3.ChangedBlocks!.map((b) => b.BlockIndex)).toEqual([3, 10]);
  });

  test('reports blocks missing from the second snapshot, and refuses other lineages', async () => {
    storage.createVolume('vol-2', 64 * MiB);
    storage.writeVolume('vol-2', BS, filled(1));
    snapshot('vol-2', 'snap-same-lineage', { lineage: 'vol-1' });
    snapshot('vol-2', 'snap-other-lineage');
    const out = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: 'snap-a', SecondSnapshotId: 'snap-same-lineage' }));
    expect(out.ChangedBlocks!.map((b) => [b.BlockIndex, !!b.FirstBlockToken, !!b.SecondBlockToken])).toEqual([
      [2, true, false],
      [3, true, false],
      [4, true, false],
    ]);
    const other = await rejection(ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: 'snap-a', SecondSnapshotId: 'snap-other-lineage' })));
    expect([other.name, other.Reason]).toEqual(['ValidationException', 'UNRELATED_SNAPSHOTS']);
  });

  test('paginates a large diff', async () => {
    for (let i = 20; i < 120; i++) storage.writeVolume('vol-1', i * BS, filled(i));
    for (let i = 40; i < 60; i++) storage.writeVolume('vol-1', i * BS, filled(i)); // same bytes again
    snapshot('vol-1', 'snap-c');
    const indices: number[] = [];
    let pages = 0;
    for await (const page of paginateListChangedBlocks({ client: ebs, pageSize: 100 }, { FirstSnapshotId: 'snap-b', SecondSnapshotId: 'snap-c' })) {
      pages++;
      indices.push(...page.ChangedBlocks!.map((b) => b.BlockIndex!));
    }
    expect(pages).toBe(1);
    expect(indices).toEqual(Array.from({ length: 100 }, (_, k) => k + 20));
    const all: number[] = [];
    for await (const page of paginateListChangedBlocks({ client: ebs, pageSize: 100 }, { FirstSnapshotId: 'snap-a', SecondSnapshotId: 'snap-c' })) {
      all.push(...page.ChangedBlocks!.map((b) => b.BlockIndex!));
    }
    expect(all).toEqual([2, 3, 10, ...Array.from({ length: 100 }, (_, k) => k + 20)]);
  });

  test('GetSnapshotBlock returns the bytes with their checksum, and only for a token it issued', async () => {
    const out = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: 'snap-a', SecondSnapshotId: 'snap-b' }));
    const block2 = out.ChangedBlocks!.find((b) => b.BlockIndex === 2)!;
    const before = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: 'snap-a', BlockIndex: 2, BlockToken: block2.FirstBlockToken }));
    const beforeBytes = await before.BlockData!.transformToByteArray();
    expect(sha(beforeBytes)).toBe(sha(filled(2)));
    expect([before.DataLength, before.Checksum, before.ChecksumAlgorithm]).toEqual([BS, b64sha(filled(2)), 'SHA256']);
    const after = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: 'snap-b', BlockIndex: 2, BlockToken: block2.SecondBlockToken }));
    expect(sha(await after.BlockData!.transformToByteArray())).toBe(sha(filled(0x22)));

    for (const [snapshotId, index, token] of [
      ['snap-b', 2, block2.FirstBlockToken], // a token of the other snapshot
      ['snap-b', 3, block2.SecondBlockToken], // a token of another block
      ['snap-b', 2, 'bm90IGEgdG9rZW4='],
    ] as const) {
      const bad = await rejection(ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snapshotId, BlockIndex: index, BlockToken: token })));
      expect([bad.name, bad.Reason]).toEqual(['ValidationException', 'INVALID_BLOCK_TOKEN']);
    }
  });

  test('tokens stay valid across a restart of the service', async () => {
    const { blocks } = await allSnapshotBlocks('snap-b');
    ebs.destroy();
    await server.close();
    storage = new FileVolumeStorage(path.join(dir, 'volumes'));
    await startCloud();
    const got = await ebs.send(
      new GetSnapshotBlockCommand({ SnapshotId: 'snap-b', BlockIndex: 10, BlockToken: blocks.find((b) => b.BlockIndex === 10)!.BlockToken }),
    );
    const bytes = Buffer.from(await got.BlockData!.transformToByteArray());
    expect(bytes.subarray(100, 103).toString()).toBe('new');
  });
});

describe('StartSnapshot, PutSnapshotBlock, CompleteSnapshot', () => {
  const put = (snapshotId: string, index: number, data: Buffer, checksum = b64sha(data)) =>
    ebs.send(
      new PutSnapshotBlockCommand({
        SnapshotId: snapshotId,
        BlockIndex: index,
        BlockData: data,
        DataLength: data.length,
        Checksum: checksum,
        ChecksumAlgorithm: 'SHA256',
      }),
    );

  test('round trip with ClientToken idempotency, parent snapshots and ChangedBlocksCount', async () => {
    const request = { VolumeSize: 1, ClientToken: 'token-1', Description: 'restore', Tags: [{ Key: 'Owner', Value: 'site-a' }] };
    const started = await ebs.send(new StartSnapshotCommand(request));
    expect(started).toMatchObject({
      Status: 'pending',
      VolumeSize: 1,
      BlockSize: BS,
      OwnerId: ACCOUNT,
      Description: 'restore',
      Tags: [{ Key: 'Owner', Value: 'site-a' }],
    });
    expect(started.StartTime).toBeInstanceOf(Date);
    const again = await ebs.send(new StartSnapshotCommand(request));
    expect(again.SnapshotId).toBe(started.SnapshotId);
    const conflict = await rejection(ebs.send(new StartSnapshotCommand({ ...request, VolumeSize: 2 })));
    expect(conflict.err).toBeInstanceOf(ConflictException);
    const id = started.SnapshotId!;
    expect(registry.get(id)).toMatchObject({ state: 'pending', volumeId: 'vol-ffffffff', ownerId: ACCOUNT, tags: { Owner: 'site-a' } });

    const early = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: id })));
    expect(early.name).toBe('ValidationException');
    const written = await put(id, 0, filled(1));
    expect([written.Checksum, written.ChecksumAlgorithm]).toEqual([b64sha(filled(1)), 'SHA256']);
    await put(id, 5, filled(2));
    await put(id, 5, filled(5)); // the same block again counts once
    const past = await rejection(put(id, 2048, filled(1)));
    expect([past.name, past.Reason]).toEqual(['ValidationException', 'INVALID_BLOCK']);
    const miscount = await rejection(ebs.send(new CompleteSnapshotCommand({ SnapshotId: id, ChangedBlocksCount: 3 })));
    expect(miscount.name).toBe('ValidationException');
    const done = await ebs.send(new CompleteSnapshotCommand({ SnapshotId: id, ChangedBlocksCount: 2 }));
    expect(done.Status).toBe('completed');
    expect(registry.get(id)!.state).toBe('completed');
    const late = await rejection(put(id, 1, filled(1)));
    expect([late.name, late.Reason]).toEqual(['ValidationException', 'INVALID_SNAPSHOT_ID']);

    const { blocks } = await allSnapshotBlocks(id);
    expect(blocks.map((b) => b.BlockIndex)).toEqual([0, 5]);
    const got = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: id, BlockIndex: 5, BlockToken: blocks[1].BlockToken }));
    expect(sha(await got.BlockData!.transformToByteArray())).toBe(sha(filled(5)));

    const child = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1, ParentSnapshotId: id }));
    expect(child.ParentSnapshotId).toBe(id);
    await put(child.SnapshotId!, 7, filled(7));
    await ebs.send(new CompleteSnapshotCommand({ SnapshotId: child.SnapshotId!, ChangedBlocksCount: 1 }));
    const diff = await ebs.send(new ListChangedBlocksCommand({ FirstSnapshotId: id, SecondSnapshotId: child.SnapshotId! }));
    expect(diff.ChangedBlocks!.map((b) => b.BlockIndex)).toEqual([7]);
    expect((await allSnapshotBlocks(child.SnapshotId!)).blocks.map((b) => b.BlockIndex)).toEqual([0, 5, 7]);
  });

  test('rejects a block whose checksum does not match, or that is not 512 KiB', async () => {
    const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
    const wrong = await rejection(put(SnapshotId!, 0, filled(1), b64sha(filled(2))));
    expect([wrong.name, wrong.Reason, wrong.status]).toEqual(['ValidationException', 'INVALID_CHECKSUM', 400]);
    const short = await rejection(put(SnapshotId!, 0, Buffer.alloc(1000)));
    expect([short.name, short.Reason]).toEqual(['ValidationException', 'INVALID_PARAMETER_VALUE']);
    expect(storage.snapshotBlocks(SnapshotId!).size).toBe(0);
    const badSize = await rejection(ebs.send(new StartSnapshotCommand({ VolumeSize: 0 })));
    expect([badSize.name, badSize.Reason]).toEqual(['ValidationException', 'INVALID_VOLUME_SIZE']);
  });
});

describe('error wire shape', () => {
  test.each([
    ['ValidationException', 400],
    ['ResourceNotFoundException', 404],
    ['AccessDeniedException', 403],
    ['RequestThrottledException', 400],
    ['ServiceQuotaExceededException', 402],
    ['ConflictException', 409],
    ['ConcurrentLimitExceededException', 400],
    ['InternalServerException', 500],
    ['ThrottlingException', 400],
  ])('the SDK raises %s (HTTP %i) from error()', async (code, status) => {
    ebs.destroy();
    await server.close();
    const ctx = context(dir);
    const service = createEbsService(ctx, storage, registry);
    server = await listen(createEdgeHandler({ services: [service], interceptors: [async (_req, svc) => svc.error(status, code, `injected ${code}`)] }));
    ebs = new EBSClient({ endpoint: server.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    expect(service.throttleCode).toBe('ThrottlingException');
    const err = await rejection(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: 'snap-x' })));
    expect([err.name, err.status, (err.err as Error).message]).toEqual([code, status, `injected ${code}`]);
  });
});
