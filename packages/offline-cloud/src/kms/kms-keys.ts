/**
 * One account's KMS in one region: symmetric keys (with their key policy, state and secret), aliases and grants,
 * as plain JSON-able records so the store saves and restores as a copy.
 * Key ids, ARNs and aliases: https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
 * Key states: https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PolicyDocument } from '../iam/registry';
import { AwsError } from '../service';

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

export interface GrantRecord {
  grantId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: string[];
  /** EncryptionContextSubset / EncryptionContextEquals (https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html). */
  constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
  issuingAccount: string;
  creationDate: number;
}

export interface KeyRecord {
  keyId: string;
  arn: string;
  accountId: string;
  description: string;
  state: KeyState;
  policy: PolicyDocument;
  creationDate: number;
  deletionDate?: number;
  /** 'CUSTOMER' or 'AWS' (the AWS managed key for EBS, aws/ebs). */
  keyManager: 'CUSTOMER' | 'AWS';
  /** base64 of the 256-bit secret that seals this key's ciphertexts (kms-crypto.ts). */
  secret: string;
  grants: GrantRecord[];
}

export interface KmsState {
  keys: Record<string, KeyRecord>;
  /** 'alias/NAME' → key id. */
  aliases: Record<string, string>;
}

/**
 * The default key policy AWS gives a key created without one: the account (its root principal) may do kms:*, which
 * lets IAM policies of the account grant the key's use
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
export function defaultKeyPolicy(accountId: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Id: 'key-default-1',
    Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

/**
 * The policy of the AWS managed key aws/ebs: any principal of the account may use it through EC2
 * (kms:ViaService ec2.REGION.amazonaws.com and kms:CallerAccount), as AWS managed keys' policies read
 * (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key).
 */
function awsEbsKeyPolicy(accountId: string, region: string): PolicyDocument {
  const via = { 'kms:CallerAccount': accountId, 'kms:ViaService': `ec2.${region}.amazonaws.com` };
  return {
    Version: '2012-10-17',
    Id: 'auto-ebs-2',
    Statement: [
      {
        Sid: 'Allow access through EBS for all principals in the account that are authorized to use EBS',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: via },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        Resource: '*',
      },
    ],
  };
}

export const AWS_EBS_ALIAS = 'alias/aws/ebs';

export class KmsKeys {
  state: KmsState = { keys: {}, aliases: {} };

  constructor(
    readonly accountId: string,
    readonly region: string,
    private readonly now: () => number,
  ) {}

  nowMs(): number {
    return this.now();
  }

  keyArn(keyId: string): string {
    return `arn:aws:kms:${this.region}:${this.accountId}:key/${keyId}`;
  }

  create(opts: { policy?: PolicyDocument; description?: string; keyManager?: 'CUSTOMER' | 'AWS' }): KeyRecord {
    const keyId = randomUUID();
    const key: KeyRecord = {
      keyId,
      arn: this.keyArn(keyId),
      accountId: this.accountId,
      description: opts.description ?? '',
      state: 'Enabled',
      policy: opts.policy ?? defaultKeyPolicy(this.accountId),
      creationDate: this.now(),
      keyManager: opts.keyManager ?? 'CUSTOMER',
      secret: randomBytes(32).toString('base64'),
      grants: [],
    };
    this.state.keys[keyId] = key;
    return key;
  }

  /**
   * A key by id, key ARN, alias name or alias ARN, as every KeyId parameter takes it; NotFoundException otherwise
   * (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html#API_DescribeKey_RequestParameters).
   * The AWS managed key aws/ebs exists once something asks for it, as AWS creates it on first use.
   */
  resolve(ref: string): KeyRecord {
    const found = this.find(ref);
    if (!found) throw new AwsError('NotFoundException', `Invalid keyId ${ref}`);
    return found;
  }

  find(ref: string): KeyRecord | undefined {
    const aliasPrefix = `arn:aws:kms:${this.region}:${this.accountId}:`;
    const local = ref.startsWith(aliasPrefix) ? ref.slice(aliasPrefix.length) : ref;
    if (local.startsWith('alias/')) {
      if (local === AWS_EBS_ALIAS && !this.state.aliases[AWS_EBS_ALIAS]) this.awsEbsKey();
      const id = this.state.aliases[local];
      return id ? this.state.keys[id] : undefined;
    }
    const id = local.startsWith('key/') ? local.slice(4) : local;
    return this.state.keys[id];
  }

  /** The AWS managed key for EBS, created on first use. */
  awsEbsKey(): KeyRecord {
    const id = this.state.aliases[AWS_EBS_ALIAS];
    if (id && this.state.keys[id]) return this.state.keys[id];
    const key = this.create({
      policy: awsEbsKeyPolicy(this.accountId, this.region),
      description: 'Default key that protects my EBS volumes when no other key is defined',
      keyManager: 'AWS',
    });
    this.state.aliases[AWS_EBS_ALIAS] = key.keyId;
    return key;
  }

  aliasesOf(keyId: string): string[] {
    return Object.entries(this.state.aliases)
      .filter(([, id]) => id === keyId)
      .map(([name]) => name);
  }

  /** A key whose deletion date has passed is gone (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html). */
  expire(): void {
    const now = this.now();
    for (const key of Object.values(this.state.keys)) {
      if (key.state !== 'PendingDeletion' || key.deletionDate === undefined || key.deletionDate > now) continue;
      delete this.state.keys[key.keyId];
      for (const [alias, id] of Object.entries(this.state.aliases)) if (id === key.keyId) delete this.state.aliases[alias];
    }
  }
}
