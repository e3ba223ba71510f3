/**
 * Where and how a recovery makes its volumes in the recovery region, which may be another region (and account)
 * than the protected instances': nothing here looks at a source volume, instance or key in the protected region.
 * - The zone: the recovery subnet's, else that of an importer subnet, else a default subnet's.
 * - The key: a checkpoint volume's KMS key belongs to the protected region. In the recovery region the recovered
 *   volume is encrypted under that same key (same region), the key's replica (a multi-Region key,
 *   https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html), or, when neither exists
 *   there, the region's default EBS key (Encrypted with no key id: https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html).
 */
import { FailbackFailed } from './failback-request';
import type { FailbackDepsWith } from './recovery-ports';

/** The availability zone the recovered volumes (and so the importers and VMs) are in. */
export async function recoveryZone(targetSubnetId: string | undefined, deps: FailbackDepsWith<'ec2' | 'recovery'>): Promise<{ zone: string; from: string }> {
  if (targetSubnetId) {
    const zone = await deps.recovery.subnetZone(targetSubnetId);
    if (zone) return { zone, from: `recovery subnet ${targetSubnetId}` };
  }
  const { subnetIds, configKey } = deps.env.importerSubnets;
  if (subnetIds.length > 0) {
    // the configured order: the first importer subnet that exists
    const found = new Map((await deps.ec2.describeSubnets(subnetIds)).map((s) => [s.subnetId, s.availabilityZone]));
    const first = subnetIds.find((id) => found.get(id));
    if (first) return { zone: found.get(first)!, from: `${configKey} ${first}` };
  }
  const [zone] = [...(await deps.recovery.defaultSubnetZones())].sort();
  if (zone) return { zone, from: 'the default VPC' };
  throw new FailbackFailed(
    `cannot choose an availability zone in ${deps.env.region ?? 'the recovery region'}: no recovery subnet, no ${configKey} and no default VPC there; ` +
      'set vpgs[i].recovery.subnetId in lifeboat.config.json and deploy again, or give target.subnetId in the failback input',
  );
}

export interface ParsedKeyArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly keyId: string;
}

/** `arn:<partition>:kms:<region>:<account>:key/<id>`; null for a key id or an alias (no region of its own). */
export function parseKeyArn(arn: string): ParsedKeyArn | null {
  const m = /^arn:([^:]+):kms:([^:]+):(\d{12}):key\/(.+)$/.exec(arn);
  return m ? { partition: m[1], region: m[2], account: m[3], keyId: m[4] } : null;
}

/** How a recovered volume is encrypted: under a key of the recovery region, or its default EBS key. */
export type RecoveredEncryption = { readonly kmsKeyId: string } | { readonly defaultKey: true; readonly why: string };

/**
 * The key a recovered volume is made under. Same region as the recovery: the checkpoint's key, unless KMS says it
 * does not exist. Another region: its multi-Region replica in the recovery region if there is one, else the default key.
 */
export async function recoveredEncryption(
  kmsKeyId: string,
  deps: { readonly env: { readonly region?: string }; readonly keys: FailbackDepsWith<'keys'>['keys'] },
): Promise<RecoveredEncryption> {
  const arn = parseKeyArn(kmsKeyId);
  const region = deps.env.region;
  if (arn && region && arn.region !== region) {
    if (arn.keyId.startsWith('mrk-')) {
      const replica = `arn:${arn.partition}:kms:${region}:${arn.account}:key/${arn.keyId}`;
      if ((await deps.keys.keyState(replica)) === 'exists') return { kmsKeyId: replica };
      return { defaultKey: true, why: `${kmsKeyId} is a multi-Region key of ${arn.region} with no replica in ${region}` };
    }
    return { defaultKey: true, why: `${kmsKeyId} is a key of ${arn.region}, not of ${region}` };
  }
  if ((await deps.keys.keyState(kmsKeyId)) === 'missing') return { defaultKey: true, why: `${kmsKeyId} does not exist in ${region ?? 'this region'}` };
  return { kmsKeyId };
}
