/**
 * The tag schema, once, as data. Every resource Lifeboat creates carries ZERTO_TAG and Owner (= site id),
 * plus bookkeeping tags; everything that tags or checks ownership reads this file.
 */
export const TAG = {
  zerto: 'ZERTO_TAG',
  owner: 'Owner',
  vpg: 'lifeboat:vpg',
  role: 'lifeboat:role',
  syncId: 'lifeboat:sync-id',
  executionId: 'lifeboat:execution',
  generation: 'lifeboat:generation',
  sourceVolume: 'lifeboat:source-volume',
  sourceInstance: 'lifeboat:source-instance',
  checkpoint: 'lifeboat:checkpoint',
  testExpiresAt: 'lifeboat:test-expires-at',
  /** How a recovered VM came to be: test (a drill), live (a planned migration) or failover (a disaster). */
  recoveryMode: 'lifeboat:recovery-mode',
  /** Instance tag the agent reads through IMDS (instance metadata tags): the s3:// URL of its job. No '/' allowed in IMDS tag keys. */
  agentJob: 'LifeboatJob',
} as const;

export type ZertoTagValue = 'ZERTO_EC2_RESOURCE' | 'ZERTO_EBS_RESOURCE' | 'ZERTO_VPC_RESOURCE' | 'ZERTO_S3_RESOURCE';

/** What a resource is to Lifeboat; `lifeboat:role` carries it. */
export type ResourceRole = 'zimporter' | 'zasa' | 'zsat' | 'recovered-vm' | 'site' | 'sync-snapshot';
export type ResourceKind = 'instance' | 'volume' | 'network-interface' | 'security-group' | 'snapshot' | 'bucket' | 'launch-template' | 'image';

/** The seed's table: ZERTO_TAG value per (role, resource kind). */
export const ZERTO_TAG_TABLE: Record<string, ZertoTagValue> = {
  'zimporter/instance': 'ZERTO_EC2_RESOURCE',
  'zimporter/volume': 'ZERTO_EBS_RESOURCE',
  'zimporter/network-interface': 'ZERTO_EC2_RESOURCE',
  'zimporter/security-group': 'ZERTO_VPC_RESOURCE',
  'zasa/instance': 'ZERTO_EBS_RESOURCE',
  'zasa/volume': 'ZERTO_EBS_RESOURCE',
  'zasa/network-interface': 'ZERTO_EC2_RESOURCE',
  'zasa/security-group': 'ZERTO_VPC_RESOURCE',
  'zsat/instance': 'ZERTO_EC2_RESOURCE',
  'zsat/volume': 'ZERTO_EBS_RESOURCE',
  'zsat/network-interface': 'ZERTO_EC2_RESOURCE',
  'zsat/security-group': 'ZERTO_VPC_RESOURCE',
  'recovered-vm/instance': 'ZERTO_EC2_RESOURCE',
  'recovered-vm/volume': 'ZERTO_EBS_RESOURCE',
  'recovered-vm/network-interface': 'ZERTO_EC2_RESOURCE',
  /** Not in the seed: the AMI a recovered VM boots, registered from its recovered root in the recovery region (an EC2 resource). */
  'recovered-vm/image': 'ZERTO_EC2_RESOURCE',
  'site/bucket': 'ZERTO_S3_RESOURCE',
  'sync-snapshot/snapshot': 'ZERTO_EBS_RESOURCE',
  'site/launch-template': 'ZERTO_EC2_RESOURCE',
};

export function zertoTagFor(role: ResourceRole, kind: ResourceKind): ZertoTagValue {
  const value = ZERTO_TAG_TABLE[`${role}/${kind}`];
  if (!value) throw new Error(`no ZERTO_TAG is defined for a ${role} ${kind}`);
  return value;
}

export type Tags = Record<string, string>;

/** The tags a new resource carries at creation: ZERTO_TAG, Owner, role, plus bookkeeping. */
export function tagsFor(siteId: string, role: ResourceRole, kind: ResourceKind, extra: Tags = {}): Tags {
  return { ...extra, [TAG.zerto]: zertoTagFor(role, kind), [TAG.owner]: siteId, [TAG.role]: role };
}

/** Ownership is a security boundary: a resource is ours only with our Owner, a ZERTO_TAG, and (when given) our VPG. */
export function isOurs(tags: Tags, siteId: string, vpg?: string): boolean {
  if (tags[TAG.owner] !== siteId || !tags[TAG.zerto]) return false;
  return vpg === undefined || tags[TAG.vpg] === vpg;
}

export function tagList(tags: Tags): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function tagMap(list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
