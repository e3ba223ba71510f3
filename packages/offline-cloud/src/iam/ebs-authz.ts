/**
 * EBS direct API requests → authorizations, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticblockstore.html):
 * every action authorizes on the snapshot (arn:aws:ec2:REGION::snapshot/ID, with aws:ResourceTag/*);
 * ListChangedBlocks on both snapshots; StartSnapshot on the new snapshot with aws:RequestTag/* and aws:TagKeys.
 */
import type { CloudRequest } from '../service';
import type { Tag } from '../ec2/query';
import type { AuthzCheck } from './evaluate';
import { requestTagContext, resourceTagContext } from './ec2-authz';

export function ebsChecks(req: CloudRequest, region: string, tagsOf: (snapshotId: string) => Tag[] | undefined): AuthzCheck[] {
  const arn = (id: string) => `arn:aws:ec2:${region}::snapshot/${id}`;
  const on = (action: string, id: string): AuthzCheck => ({ action: `ebs:${action}`, resource: arn(id), context: resourceTagContext(tagsOf(id)) });
  const p = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  if (req.method === 'POST' && p.length === 1 && p[0] === 'snapshots') {
    let tags: Tag[];
    try {
      tags = ((JSON.parse(req.body.toString('utf8') || '{}') as { Tags?: Tag[] }).Tags ?? []).map((t) => ({ Key: t.Key, Value: t.Value }));
    } catch {
      return []; // EBS answers the malformed body itself
    }
    return [{ action: 'ebs:StartSnapshot', resource: arn('*'), context: requestTagContext(tags) }];
  }
  if (req.method === 'POST' && p[1] === 'completion' && p[2]) return [on('CompleteSnapshot', p[2])];
  const id = p[1] ?? '';
  if (req.method === 'GET' && p[2] === 'blocks' && p.length === 3) return [on('ListSnapshotBlocks', id)];
  if (req.method === 'GET' && p[2] === 'blocks' && p.length === 4) return [on('GetSnapshotBlock', id)];
  if (req.method === 'PUT' && p[2] === 'blocks') return [on('PutSnapshotBlock', id)];
  if (req.method === 'GET' && p[2] === 'changedblocks') {
    const first = req.query.get('firstSnapshotId');
    return [on('ListChangedBlocks', id), ...(first ? [on('ListChangedBlocks', first)] : [])];
  }
  return [];
}
