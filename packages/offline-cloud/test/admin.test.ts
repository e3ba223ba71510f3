import fs from 'node:fs';
import { QUICK_TIMINGS } from '../src/testing';
import { CloudClock } from '../src/clock';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_FAULTS, type CloudContext } from '../src/context';
import { createEdgeHandler, listen, type Listening } from '../src/edge';
import { adminRoute } from '../src/admin/index';
import { EBS_BLOCK_SIZE as BS, FileVolumeStorage } from '../src/storage/file-volume-storage';

let dir: string;
let storage: FileVolumeStorage;
let server: Listening;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-admin-'));
  storage = new FileVolumeStorage(dir);
  const ctx: CloudContext = {
    dataDir: dir,
    endpoint: () => server.url,
    region: 'us-east-1',
    accountId: '000000000000',
    faults: { ...DEFAULT_FAULTS },
    timings: QUICK_TIMINGS,
    clock: new CloudClock(),
    faultCounts: {},
    markDirty: () => undefined,
    log: () => undefined,
  };
  server = await listen(createEdgeHandler({ services: [], routes: [adminRoute(storage, ctx)] }));
  storage.createVolume('vol-1', 4 * BS);
});
afterEach(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const putData = (volumeId: string, query: string, body: Buffer) => fetch(`${server.url}/_lifeboat/volumes/${volumeId}/data${query}`, { method: 'PUT', body });

test('health', async () => {
  const res = await fetch(`${server.url}/_lifeboat/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
});

test('PUT writes the bytes where asked, unaligned and spanning two blocks; GET reads them back', async () => {
  const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + 1) % 256));
  const offset = BS - 1234;
  const res = await putData('vol-1', `?offset=${offset}`, data);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ volumeId: 'vol-1', offset, bytes: 3000 });
  expect(storage.readVolume('vol-1', offset, 3000).equals(data)).toBe(true);
  expect(storage.readVolume('vol-1', offset - 1, 1)[0]).toBe(0); // nothing before
  expect(storage.readVolume('vol-1', offset + 3000, 1)[0]).toBe(0); // nothing after

  const back = await fetch(`${server.url}/_lifeboat/volumes/vol-1/data?offset=${offset - 10}&length=3020`);
  expect(back.status).toBe(200);
  const bytes = Buffer.from(await back.arrayBuffer());
  expect(bytes.equals(Buffer.concat([Buffer.alloc(10), data, Buffer.alloc(10)]))).toBe(true);

  // Both blocks the write touched are allocated, so a snapshot holds exactly them.
  storage.captureSnapshots([{ snapshotId: 'snap-1', volumeId: 'vol-1' }]);
  expect([...storage.snapshotBlocks('snap-1').keys()]).toEqual([0, 1]);
});

test('writing up to the very end is fine; 404 for an unknown volume; 400 past the end or for a bad offset', async () => {
  expect((await putData('vol-1', `?offset=${4 * BS - 2}`, Buffer.from('ok'))).status).toBe(200);
  expect((await putData('vol-nope', '?offset=0', Buffer.from('x'))).status).toBe(404);
  expect((await putData('vol-1', `?offset=${4 * BS - 1}`, Buffer.from('xy'))).status).toBe(400);
  expect((await putData('vol-1', `?offset=${4 * BS + 5}`, Buffer.alloc(0))).status).toBe(400);
  for (const query of ['', '?offset=-1', '?offset=abc', '?offset=1.5', '?offset=99999999999999999999']) {
    const res = await putData('vol-1', query, Buffer.from('x'));
    expect([query, res.status]).toEqual([query, 400]);
  }
  expect((await fetch(`${server.url}/_lifeboat/volumes/vol-1/data?offset=${4 * BS - 1}&length=2`)).status).toBe(400);
  expect((await fetch(`${server.url}/_lifeboat/volumes/vol-nope/data?offset=0&length=2`)).status).toBe(404);
  expect((await fetch(`${server.url}/_lifeboat/nothing-here`)).status).toBe(404);
  // None of the refused writes changed anything.
  expect(storage.readVolume('vol-1', 4 * BS - 3, 3).equals(Buffer.from('\0ok'))).toBe(true);
});
