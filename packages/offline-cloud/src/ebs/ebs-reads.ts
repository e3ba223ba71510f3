/** The read side of the EBS direct APIs: ListSnapshotBlocks, ListChangedBlocks, GetSnapshotBlock. */
import type { CloudRequest, CloudResponse } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';
import { changedBlockList, type ListedBlock, pageOf, snapshotBlockList } from './block-listing';
import { EbsError, validation } from './ebs-errors';
import { BLOCK_TOKEN_TTL_SECONDS, type EbsTokens } from './ebs-tokens';
import { EBS_BLOCK_SIZE, hexToBase64, json, optionalInt, requiredInt, requireSnapshot } from './ebs-request';
import type { SnapshotRecordView, SnapshotRegistry } from './snapshot-registry';

const MIN_RESULTS = 100;
const MAX_RESULTS = 10000;
/** Listings of completed (immutable) snapshots are cached: a paginated walk lists once, not once per page. */
const LISTING_CACHE_SIZE = 16;

export class EbsReads {
  private readonly listings = new Map<string, ListedBlock[]>();

  constructor(
    private readonly accountId: string,
    private readonly storage: VolumeStorage,
    private readonly snapshots: SnapshotRegistry,
    private readonly tokens: EbsTokens,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** A snapshot the read APIs may use: it exists, is ours, and is completed. */
  private requireCompleted(snapshotId: string): { record: SnapshotRecordView; blocks: ReadonlyMap<number, string> } {
    const record = requireSnapshot(this.snapshots, snapshotId, this.accountId);
    if (record.state !== 'completed') {
      throw validation('INVALID_SNAPSHOT_ID', `The snapshot '${snapshotId}' is in state '${record.state}'; the EBS direct APIs read only completed snapshots.`);
    }
    try {
      return { record, blocks: this.storage.snapshotBlocks(snapshotId) };
    } catch (err) {
      throw new EbsError('InternalServerException', `The data of snapshot '${snapshotId}' is unavailable: ${(err as Error).message}`);
    }
  }

  private cachedListing(key: string, build: () => ListedBlock[]): ListedBlock[] {
    let list = this.listings.get(key);
    if (list) {
      this.listings.delete(key); // re-insert: most recently used last
    } else {
      list = build();
      if (this.listings.size >= LISTING_CACHE_SIZE) this.listings.delete(this.listings.keys().next().value!);
    }
    this.listings.set(key, list);
    return list;
  }

  /** Where a page starts (NextToken wins over StartingBlockIndex) and how long it is. */
  private pageBounds(req: CloudRequest, scope: string): { start: number; max: number } {
    const max = optionalInt(req.query.get('maxResults'), 'MaxResults') ?? MAX_RESULTS;
    if (max < MIN_RESULTS || max > MAX_RESULTS) {
      throw validation('INVALID_PARAMETER_VALUE', `MaxResults must be between ${MIN_RESULTS} and ${MAX_RESULTS}, got ${max}.`);
    }
    const token = req.query.get('pageToken');
    if (token !== null && token !== '') {
      const next = this.tokens.readPageToken(token, scope, this.nowSeconds());
      if (next === undefined) throw validation('INVALID_PAGE_TOKEN', 'The pagination token is not valid or has expired.');
      return { start: next, max };
    }
    return { start: optionalInt(req.query.get('startingBlockIndex'), 'StartingBlockIndex') ?? 0, max };
  }

  private page(list: ListedBlock[], req: CloudRequest, scope: string) {
    const { start, max } = this.pageBounds(req, scope);
    const { blocks, nextBlockIndex } = pageOf(list, start, max);
    const now = this.nowSeconds();
    const expiry = now + BLOCK_TOKEN_TTL_SECONDS;
    const nextToken = nextBlockIndex === undefined ? undefined : this.tokens.pageToken(scope, nextBlockIndex, now);
    return { blocks, expiry, nextToken };
  }

  listSnapshotBlocks(snapshotId: string, req: CloudRequest): CloudResponse {
    const { record, blocks: map } = this.requireCompleted(snapshotId);
    const list = this.cachedListing(snapshotId, () => snapshotBlockList(map));
    const { blocks, expiry, nextToken } = this.page(list, req, `blocks:${snapshotId}`);
    return json(200, {
      Blocks: blocks.map((b) => ({ BlockIndex: b.index, BlockToken: this.tokens.blockToken(snapshotId, b.index, b.secondHash!, expiry) })),
      ExpiryTime: expiry,
      VolumeSize: record.volumeSize,
      BlockSize: EBS_BLOCK_SIZE,
      ...(nextToken ? { NextToken: nextToken } : {}),
    });
  }

  listChangedBlocks(secondId: string, req: CloudRequest): CloudResponse {
    const firstId = req.query.get('firstSnapshotId') || undefined;
    const second = this.requireCompleted(secondId);
    const first = firstId === undefined ? undefined : this.requireCompleted(firstId);
    if (first && first.record.lineage !== second.record.lineage) {
      throw validation('UNRELATED_SNAPSHOTS', `The snapshots '${firstId}' and '${secondId}' are not of the same volume lineage.`);
    }
    const key = `changed:${firstId ?? ''}:${secondId}`;
    const list = this.cachedListing(key, () => (first ? changedBlockList(first.blocks, second.blocks) : snapshotBlockList(second.blocks)));
    const { blocks, expiry, nextToken } = this.page(list, req, key);
    return json(200, {
      ChangedBlocks: blocks.map((b) => ({
        BlockIndex: b.index,
        ...(b.firstHash ? { FirstBlockToken: this.tokens.blockToken(firstId!, b.index, b.firstHash, expiry) } : {}),
        ...(b.secondHash ? { SecondBlockToken: this.tokens.blockToken(secondId, b.index, b.secondHash, expiry) } : {}),
      })),
      ExpiryTime: expiry,
      VolumeSize: second.record.volumeSize,
      BlockSize: EBS_BLOCK_SIZE,
      ...(nextToken ? { NextToken: nextToken } : {}),
    });
  }

  getSnapshotBlock(snapshotId: string, blockIndexText: string, req: CloudRequest): CloudResponse {
    const blockIndex = requiredInt(blockIndexText, 'BlockIndex');
    const token = req.query.get('blockToken') ?? '';
    const { blocks } = this.requireCompleted(snapshotId);
    const hash = blocks.get(blockIndex);
    if (hash === undefined || !this.tokens.verifyBlockToken(token, snapshotId, blockIndex, hash, this.nowSeconds())) {
      throw validation('INVALID_BLOCK_TOKEN', `The block token is not valid for block ${blockIndex} of snapshot '${snapshotId}'.`);
    }
    let data: Buffer;
    try {
      data = this.storage.readSnapshotBlock(snapshotId, blockIndex);
    } catch (err) {
      throw new EbsError('InternalServerException', `Reading block ${blockIndex} of '${snapshotId}' failed: ${(err as Error).message}`);
    }
    return {
      status: 200,
      headers: {
        'content-type': 'application/octet-stream',
        'x-amz-Data-Length': String(data.length),
        'x-amz-Checksum': hexToBase64(hash),
        'x-amz-Checksum-Algorithm': 'SHA256',
      },
      body: data,
    };
  }
}
