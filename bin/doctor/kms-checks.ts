/**
 * The KMS keys a VPG's volumes are under (and the account's default EBS key, which new volumes from unencrypted
 * snapshots get when encryption by default is on): each must be enabled, named by `kms.keyArns` when the config
 * lists keys, and usable by the sync and failback step roles as EBS uses it (key-use.ts). docs/kms.md has the fixes.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import { keyFacts, ReadFailed, readFix, roleIdentityPolicies } from './account-facts';
import { type DoctorCheck, ok, problem, warning } from './doctor-model';
import { type PolicyDocument, refusedKeyUse } from './key-use';

export interface KeyChecksInput {
  readonly vpg: string;
  /** Key ids or ARNs, each with why the VPG needs it ('volume vol-1 of i-1', 'the account default EBS key'). */
  readonly keys: ReadonlyMap<string, string>;
  /** The config's kms.keyArns, when set. */
  readonly configuredKeyArns?: readonly string[];
  /** Step roles that use the keys, by what they do; absent when the stack recorded none (older deploys). */
  readonly roles: ReadonlyArray<{ readonly what: string; readonly roleArn: string; readonly ebsDirectReads: boolean }>;
  readonly region: string;
}

export async function keyChecks(input: KeyChecksInput, kms: KMSClient, iam: IAMClient): Promise<DoctorCheck[]> {
  const { vpg } = input;
  // unencrypted volumes and no default key: nothing to ask IAM or KMS
  if (input.keys.size === 0) return [];
  const out: DoctorCheck[] = [];
  const policies = new Map<string, Array<{ name: string; policy: PolicyDocument }> | ReadFailed>();
  for (const r of input.roles)
    policies.set(
      r.roleArn,
      await roleIdentityPolicies(iam, r.roleArn).catch((err: unknown) => (err instanceof ReadFailed ? err : Promise.reject(err as Error))),
    );
  for (const [keyId, why] of input.keys) {
    const key = await keyFacts(kms, keyId).catch((err: unknown) => (err instanceof ReadFailed ? err : Promise.reject(err as Error)));
    if (key instanceof ReadFailed) {
      if (key.cause.name === 'NotFoundException')
        out.push(
          problem(
            vpg,
            'kms',
            `${why} is under ${keyId}, which no longer exists`,
            'restore the volume from a snapshot under a key that exists; EBS cannot read it',
          ),
        );
      else out.push(warning(vpg, 'kms', `${why} is under ${keyId}, and ${key.message}`, readFix(key, 'kms:DescribeKey and kms:GetKeyPolicy on the key')));
      continue;
    }
    if (key.state !== 'Enabled') {
      out.push(
        problem(
          vpg,
          'kms',
          `${why} is under ${key.keyArn}, which is ${key.state}`,
          'enable the key (kms enable-key), or cancel its deletion; EBS cannot read or create volumes under it',
        ),
      );
      continue;
    }
    if (input.configuredKeyArns && key.manager === 'CUSTOMER' && !input.configuredKeyArns.includes(key.keyArn)) {
      out.push(
        problem(
          vpg,
          'kms',
          `${why} is under ${key.keyArn}, which kms.keyArns does not list: the step roles may use only the keys it lists`,
          `add "${key.keyArn}" to kms.keyArns in lifeboat.config.json and deploy again`,
        ),
      );
      continue;
    }
    const refused: string[] = [];
    for (const role of input.roles) {
      const own = policies.get(role.roleArn)!;
      if (own instanceof ReadFailed) {
        out.push(
          warning(
            vpg,
            'kms',
            `cannot tell whether ${role.what} may use ${key.keyArn}: ${own.message}`,
            readFix(own, 'iam:ListRolePolicies, iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy and iam:GetPolicyVersion'),
          ),
        );
        continue;
      }
      const refusal = await refusedKeyUse({
        roleArn: role.roleArn,
        identityPolicies: own,
        keyArn: key.keyArn,
        keyPolicy: key.policy,
        region: input.region,
        ebsDirectReads: role.ebsDirectReads,
      });
      if (refusal) refused.push(`${role.what} (${role.roleArn.split('/').pop()}): ${refusal}`);
    }
    if (refused.length) {
      out.push(
        problem(
          vpg,
          'kms',
          `${why} is under ${key.keyArn}, which the step roles may not use: ${refused.join('; ')}`,
          "let the account's IAM policies in through the key policy, or name the step roles in it (docs/kms.md has the statement)",
        ),
      );
    } else if (input.roles.length) {
      out.push(
        ok(
          vpg,
          'kms',
          `${why}: ${key.keyArn} (${key.manager === 'AWS' ? 'AWS managed' : 'customer managed'}, enabled) is usable by the sync and failback steps`,
        ),
      );
    }
  }
  if (input.roles.length === 0) {
    out.push(
      warning(
        vpg,
        'kms',
        'the deployed VPG stack does not name its step roles, so key use was not checked',
        'deploy the VPG stack with this Lifeboat version (npx cdk deploy --all)',
      ),
    );
  }
  return out;
}
