/**
 * The EBS direct APIs' request rates through the real SDK: past an account bucket ThrottlingException,
 * past a snapshot's bucket RequestThrottledException (Reason RESOURCE_LEVEL_THROTTLE); each snapshot has
 * its own bucket; Lifeboat's EBS adapter (standard retries) rides throttling out. Tests lower a figure so
 * the bucket empties within a few requests and does not refill during the test.
 */
import { createHash } from 'node:crypto';
import {
  CompleteSnapshotCommand,
  EBSClient,
  GetSnapshotBlockCommand,
  ListSnapshotBlocksCommand,
  PutSnapshotBlockCommand,
  StartSnapshotCommand,
} from '@aws-sdk/client-ebs';
import { EbsDirect, makeEbsClient } from '../../runtime/aws/ebs-direct';
import { type EbsRates, EBS_RATES } from '@lifeboat/offline-cloud/src/aws-rates';
import { clientConfig, startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';

const BLOCK = 524288;
const FROZEN = 0.001; // tokens per second: none come back while a test runs

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function rates(over: { account?: EbsRates['account']; snapshot?: EbsRates['snapshot'] }): EbsRates {
  return { account: { ...EBS_RATES.account, ...over.account }, snapshot: { ...EBS_RATES.snapshot, ...over.snapshot } };
}

async function refusal(p: Promise<unknown>): Promise<{ name: string; Reason?: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; Reason?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, Reason: e.Reason, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to be refused');
}

/** A completed one-block snapshot written through the EBS direct APIs. */
async function snapshotWithOneBlock(ebs: EBSClient): Promise<string> {
  const { SnapshotId } = await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }));
  const data = Buffer.alloc(BLOCK, 7);
  await ebs.send(
    new PutSnapshotBlockCommand({
      SnapshotId,
      BlockIndex: 0,
      BlockData: data,
      DataLength: BLOCK,
      Checksum: createHash('sha256').update(data).digest('base64'),
      ChecksumAlgorithm: 'SHA256',
    }),
  );
  await ebs.send(new CompleteSnapshotCommand({ SnapshotId, ChangedBlocksCount: 1 }));
  return SnapshotId!;
}

async function blockToken(ebs: EBSClient, snapshotId: string): Promise<string> {
  const out = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId }));
  return out.Blocks![0].BlockToken!;
}

test("the default figures are the EBS quotas page's: Get/PutSnapshotBlock 1,000/s per account and per snapshot, Start/CompleteSnapshot 10/s", () => {
  expect(EBS_RATES.account.GetSnapshotBlock.perSecond).toBe(1000);
  expect(EBS_RATES.snapshot.GetSnapshotBlock.perSecond).toBe(1000);
  expect(EBS_RATES.account.PutSnapshotBlock.perSecond).toBe(1000);
  expect(EBS_RATES.snapshot.PutSnapshotBlock.perSecond).toBe(1000);
  expect(EBS_RATES.account.StartSnapshot.perSecond).toBe(10);
  expect(EBS_RATES.account.CompleteSnapshot.perSecond).toBe(10);
});

test('under the default rates a burst of 100 block reads of one snapshot passes', async () => {
  t = await startTestCloud();
  const ebs = new EBSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const snap = await snapshotWithOneBlock(ebs);
  const token = await blockToken(ebs, snap);
  const readOne = async () => {
    const out = await ebs.send(new GetSnapshotBlockCommand({ SnapshotId: snap, BlockIndex: 0, BlockToken: token }));
    return (await out.BlockData!.transformToByteArray()).length; // a body left unread holds its socket
  };
  const reads = await Promise.all(Array.from({ length: 100 }, readOne));
  expect(reads.every((n) => n === BLOCK)).toBe(true);
  ebs.destroy();
});

test("past a snapshot's GetSnapshotBlock bucket: RequestThrottledException (RESOURCE_LEVEL_THROTTLE); another snapshot has its own bucket", async () => {
  t = await startTestCloud({ limits: { ebsRates: rates({ snapshot: { GetSnapshotBlock: { perSecond: FROZEN, burst: 2 } } }) } });
  const ebs = new EBSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const [a, b] = [await snapshotWithOneBlock(ebs), await snapshotWithOneBlock(ebs)];
  const [ta, tb] = [await blockToken(ebs, a), await blockToken(ebs, b)];
  const read = (id: string, token: string) => ebs.send(new GetSnapshotBlockCommand({ SnapshotId: id, BlockIndex: 0, BlockToken: token }));
  const bytes = async (p: ReturnType<typeof read>) => (await (await p).BlockData!.transformToByteArray()).length;
  expect(await bytes(read(a, ta))).toBe(BLOCK);
  expect(await bytes(read(a, ta))).toBe(BLOCK);
  expect(await refusal(read(a, ta))).toEqual({ name: 'RequestThrottledException', Reason: 'RESOURCE_LEVEL_THROTTLE', status: 400 });
  expect(await bytes(read(b, tb))).toBe(BLOCK);
  ebs.destroy();
});

test("past the account's bucket: ThrottlingException, whatever the snapshot (ListSnapshotBlocks, StartSnapshot)", async () => {
  t = await startTestCloud({
    limits: { ebsRates: rates({ account: { ListSnapshotBlocks: { perSecond: FROZEN, burst: 2 }, StartSnapshot: { perSecond: FROZEN, burst: 2 } } }) },
  });
  const ebs = new EBSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const [a, b] = [await snapshotWithOneBlock(ebs), await snapshotWithOneBlock(ebs)]; // two StartSnapshot: that bucket is empty now
  expect((await refusal(ebs.send(new StartSnapshotCommand({ VolumeSize: 1 })))).name).toBe('ThrottlingException');
  await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: a }));
  await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: b }));
  expect(await refusal(ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: a })))).toMatchObject({ name: 'ThrottlingException', status: 400 });
  ebs.destroy();
});

test("Lifeboat's EBS adapter retries throttling with back-off and gets its answer", async () => {
  // 1 token, 5 back a second: each call after the first waits for a refill, as under a busy account
  t = await startTestCloud({ limits: { ebsRates: rates({ account: { ListSnapshotBlocks: { perSecond: 5, burst: 1 } } }) } });
  const setup = new EBSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const snap = await snapshotWithOneBlock(setup);
  const lifeboat = new EbsDirect(makeEbsClient(clientConfig(t.url)));
  for (let i = 0; i < 4; i++) expect((await lifeboat.listSnapshotBlocks(snap)).indexes).toEqual([0]);
  setup.destroy();
});
