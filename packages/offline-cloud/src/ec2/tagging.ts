/** CreateTags, DeleteTags and DescribeTags across every taggable kind, found by id. */
import { AwsError } from '../service';
import { describe } from './describe';
import type { FieldMap } from './filters';
import { setTag } from './model';
import { type Tag, readTags } from './query';
import { type ActionHandler, type World, validateTags } from './world';

interface Taggable {
  resourceId: string;
  resourceType: string;
  tags: Tag[];
}

const KINDS: Array<{ type: string; prefix: string; notFound: string; table: (w: World) => Record<string, { tags: Tag[] }> }> = [
  { type: 'instance', prefix: 'i-', notFound: 'InvalidInstanceID.NotFound', table: (w) => w.model.instances },
  { type: 'volume', prefix: 'vol-', notFound: 'InvalidVolume.NotFound', table: (w) => w.model.volumes },
  { type: 'snapshot', prefix: 'snap-', notFound: 'InvalidSnapshot.NotFound', table: (w) => w.model.snapshots },
  { type: 'launch-template', prefix: 'lt-', notFound: 'InvalidLaunchTemplateId.NotFound', table: (w) => w.model.launchTemplates },
  { type: 'security-group', prefix: 'sg-', notFound: 'InvalidGroup.NotFound', table: (w) => w.model.securityGroups },
  { type: 'subnet', prefix: 'subnet-', notFound: 'InvalidSubnetID.NotFound', table: (w) => w.model.subnets },
  { type: 'vpc', prefix: 'vpc-', notFound: 'InvalidVpcID.NotFound', table: (w) => w.model.vpcs },
  { type: 'network-interface', prefix: 'eni-', notFound: 'InvalidNetworkInterfaceID.NotFound', table: (w) => w.model.networkInterfaces },
  { type: 'image', prefix: 'ami-', notFound: 'InvalidAMIID.NotFound', table: (w) => w.model.images },
];

function resolve(w: World, id: string): Taggable {
  const kind = KINDS.find((k) => id.startsWith(k.prefix));
  if (!kind) throw new AwsError('InvalidID', `The ID '${id}' is not valid`);
  const r = kind.table(w)[id];
  if (!r) throw new AwsError(kind.notFound, `The ID '${id}' does not exist`);
  return { resourceId: id, resourceType: kind.type, tags: r.tags };
}

export const createTags: ActionHandler = (q, w) => {
  const ids = q.list('ResourceId');
  if (ids.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const tags = readTags(q);
  if (tags.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter tagSet');
  validateTags(tags);
  const resources = ids.map((id) => resolve(w, id));
  for (const r of resources) {
    const keys = new Set([...r.tags.map((t) => t.Key), ...tags.map((t) => t.Key)]);
    if (keys.size > 50) throw new AwsError('TagLimitExceeded', `The maximum number of tags for a resource is 50`);
  }
  for (const r of resources) for (const t of tags) setTag(r.tags, t.Key, t.Value);
  w.ctx.markDirty();
  return { return: true };
};

export const deleteTags: ActionHandler = (q, w) => {
  const ids = q.list('ResourceId');
  if (ids.length === 0) throw new AwsError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  // A Tag.N with no Value deletes the key whatever its value; with a Value (even ''), only on a match.
  const wanted = q.structs('Tag').map((t) => ({ key: t.str('Key') ?? '', value: t.str('Value') }));
  for (const r of ids.map((id) => resolve(w, id))) {
    const keep = r.tags.filter((t) => (wanted.length === 0 ? false : !wanted.some((x) => x.key === t.Key && (x.value === undefined || x.value === t.Value))));
    r.tags.splice(0, r.tags.length, ...keep);
  }
  w.ctx.markDirty();
  return { return: true };
};

type TagRow = {
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
};

const FIELDS: FieldMap<TagRow> = {
  'resource-id': (r) => r.resourceId,
  'resource-type': (r) => r.resourceType,
  key: (r) => r.key,
  value: (r) => r.value,
};

export const describeTags: ActionHandler = (q, w) => {
  const rows: TagRow[] = [];
  for (const kind of KINDS) {
    for (const [id, r] of Object.entries(kind.table(w))) {
      for (const t of r.tags) rows.push({ resourceId: id, resourceType: kind.type, key: t.Key, value: t.Value });
    }
  }
  const page = describe(q, w, {
    all: rows,
    idOf: (r) => `${r.resourceId}/${r.key}`,
    // tag:KEY filters on DescribeTags match the row's own key and value.
    tagsOf: (r) => [{ Key: r.key, Value: r.value }],
    fields: FIELDS,
    limits: { min: 5, max: 1000 },
  });
  return { tagSet: page.items, nextToken: page.nextToken };
};
