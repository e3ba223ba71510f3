/** EBS direct APIs: which blocks a snapshot holds, which changed between two snapshots (paginated, 10,000 a page). */
import { EBSClient, ListChangedBlocksCommand, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import type { ChangedBlock, EbsBlocksPort } from '../core/ports';
import { RETRY_CONFIG } from './aws-client-config';
import { awsCall } from './aws-errors';

const MAX_RESULTS = 10000;

export function makeEbsClient(overrides: ConstructorParameters<typeof EBSClient>[0] = {}): EBSClient {
  return new EBSClient({ ...RETRY_CONFIG, ...overrides });
}

export class EbsDirect implements EbsBlocksPort {
  constructor(private readonly client: EBSClient = makeEbsClient()) {}

  async listSnapshotBlocks(snapshotId: string): Promise<{ blockSize: number; indexes: number[] }> {
    const indexes: number[] = [];
    let blockSize = 0;
    let token: string | undefined;
    do {
      const page = await awsCall('ListSnapshotBlocks', () =>
        this.client.send(new ListSnapshotBlocksCommand({ SnapshotId: snapshotId, MaxResults: MAX_RESULTS, NextToken: token })),
      );
      blockSize = page.BlockSize ?? blockSize;
      for (const b of page.Blocks ?? []) if (b.BlockIndex !== undefined) indexes.push(b.BlockIndex);
      token = page.NextToken || undefined;
    } while (token);
    return { blockSize, indexes };
  }

  async listChangedBlocks(baseSnapshotId: string, snapshotId: string): Promise<{ blockSize: number; blocks: ChangedBlock[] }> {
    const blocks: ChangedBlock[] = [];
    let blockSize = 0;
    let token: string | undefined;
    do {
      const page = await awsCall('ListChangedBlocks', () =>
        this.client.send(
          new ListChangedBlocksCommand({ FirstSnapshotId: baseSnapshotId, SecondSnapshotId: snapshotId, MaxResults: MAX_RESULTS, NextToken: token }),
        ),
      );
      blockSize = page.BlockSize ?? blockSize;
      for (const b of page.ChangedBlocks ?? []) {
        if (b.BlockIndex === undefined) continue;
        // A block with no token in the second snapshot is absent there: trimmed since the base.
        blocks.push({ index: b.BlockIndex, inBase: b.FirstBlockToken !== undefined, inNew: b.SecondBlockToken !== undefined });
      }
      token = page.NextToken || undefined;
    } while (token);
    return { blockSize, blocks };
  }
}
