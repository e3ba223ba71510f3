/** What Lifeboat left in the account: every resource with our Owner, and which of them may remain. */
import { DescribeInstancesCommand, DescribeSnapshotsCommand, DescribeVolumesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetExecutionHistoryCommand, type SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { TAG } from '../../runtime/core/tags';

export interface Inventory {
  readonly instances: string[];
  readonly volumes: string[];
  readonly snapshots: string[];
}

/** Live (not terminated) instances, volumes and snapshots carrying Owner = siteId. */
export async function ownedResources(ec2: EC2Client, siteId: string): Promise<Inventory> {
  const owner = [{ Name: `tag:${TAG.owner}`, Values: [siteId] }];
  const inst = await ec2.send(new DescribeInstancesCommand({ Filters: owner }));
  const instances = (inst.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => i.InstanceId!);
  const vols = await ec2.send(new DescribeVolumesCommand({ Filters: owner }));
  const snaps = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: owner }));
  return {
    instances,
    volumes: (vols.Volumes ?? []).map((v) => v.VolumeId!),
    snapshots: (snaps.Snapshots ?? []).map((s) => s.SnapshotId!),
  };
}

/** Everything owned except the base snapshots that must stay (the latest checkpoint's). */
export function leftovers(inv: Inventory, baseSnapshots: ReadonlySet<string>): string[] {
  return [...inv.instances, ...inv.volumes, ...inv.snapshots.filter((s) => !baseSnapshots.has(s))];
}

export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** State transitions as Step Functions bills them: one per state entered. */
export function stateTransitions(events: readonly HistoryEvent[]): number {
  return events.filter((e) => e.type?.endsWith('StateEntered')).length;
}
