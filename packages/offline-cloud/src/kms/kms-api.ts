/**
 * The KMS operations the offline cloud serves, as TrentService's JSON 1.1 protocol carries them (blobs in base64,
 * dates in epoch seconds): https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html.
 * Each operation is authorized as kms-authz.ts says (key policy, IAM through it, grants; CreateKey and ListKeys/
 * ListAliases are IAM-only on `*`: https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html).
 */
import { randomBytes } from 'node:crypto';
import { evaluate } from '../iam/evaluate';
import type { PolicyDocument } from '../iam/registry';
import { AwsError } from '../service';
import { mayUse } from './kms-authz';
import { authorize, blob, contextOf, type Json, type KmsCall, type Operation, parsePolicy, required, seconds, str } from './kms-call';
import { KEY_STATE_OPERATIONS } from './kms-key-states';
import { keyIdOf, open, seal } from './kms-crypto';
import type { GrantRecord, KeyRecord, KmsKeys } from './kms-keys';

/** KeyMetadata (https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html). */
export function keyMetadata(k: KeyRecord): Json {
  return {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: seconds(k.creationDate),
    Enabled: k.state === 'Enabled',
    Description: k.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: k.state,
    ...(k.deletionDate !== undefined ? { DeletionDate: seconds(k.deletionDate) } : {}),
    Origin: 'AWS_KMS',
    KeyManager: k.keyManager,
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
  };
}

/** An IAM-only action on `*` (CreateKey, ListKeys, ListAliases). */
async function authorizeAccount(c: KmsCall, action: string): Promise<void> {
  if (!c.iam) return;
  const verdict = await evaluate(c.iam, c.caller, c.region, [{ action: `kms:${action}`, resource: '*', context: { 'kms:CallerAccount': c.caller.accountId } }]);
  if (!verdict.allowed)
    throw new AwsError(
      'AccessDeniedException',
      `User is not authorized to perform: kms:${action} on resource: * because no identity-based policy allows the kms:${action} action`,
    );
}

/**
 * The policy lockout safety check: a new key policy must let the caller change the key policy later, unless
 * BypassPolicyLockoutSafetyCheck (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key).
 */
async function lockoutCheck(c: KmsCall, key: KeyRecord, policy: PolicyDocument): Promise<void> {
  if (c.input.BypassPolicyLockoutSafetyCheck === true || !c.iam) return;
  const verdict = await mayUse(c.iam, c.caller, c.region, { ...key, policy, grants: [] }, { operation: 'PutKeyPolicy' });
  if (!verdict.allowed) throw new AwsError('MalformedPolicyDocumentException', 'The new key policy will not allow you to update the key policy in the future.');
}

function newGrant(c: KmsCall, fields: Omit<GrantRecord, 'grantId' | 'issuingAccount' | 'creationDate'>): GrantRecord {
  return { ...fields, grantId: randomBytes(32).toString('hex'), issuingAccount: `arn:aws:iam::${c.caller.accountId}:root`, creationDate: c.keys.nowMs() };
}

const grantToken = (key: KeyRecord, grant: GrantRecord) => Buffer.from(JSON.stringify({ k: key.keyId, g: grant.grantId })).toString('base64');

function grantByToken(keys: KmsKeys, token: string): { key: KeyRecord; grant: GrantRecord } {
  try {
    const { k, g } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { k: string; g: string };
    const key = keys.state.keys[k];
    const grant = key?.grants.find((x) => x.grantId === g);
    if (key && grant) return { key, grant };
  } catch {
    /* below */
  }
  throw new AwsError('InvalidGrantTokenException', 'The grant token is not valid.');
}

const dataKeyBytes = (input: Json): number => {
  if (typeof input.NumberOfBytes === 'number') return input.NumberOfBytes;
  const spec = str(input, 'KeySpec');
  if (spec === 'AES_128') return 16;
  if (spec === 'AES_256') return 32;
  throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
};

export const OPERATIONS: Record<string, Operation> = {
  async CreateKey(c) {
    await authorizeAccount(c, 'CreateKey');
    const policyText = str(c.input, 'Policy');
    const policy = policyText ? parsePolicy(policyText) : undefined;
    const key = c.keys.create({ policy, description: str(c.input, 'Description') });
    if (policy) {
      try {
        await lockoutCheck(c, key, policy);
      } catch (err) {
        delete c.keys.state.keys[key.keyId];
        throw err;
      }
    }
    return { KeyMetadata: keyMetadata(key) };
  },
  async DescribeKey(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'DescribeKey' });
    return { KeyMetadata: keyMetadata(key) };
  },
  async ListKeys(c) {
    await authorizeAccount(c, 'ListKeys');
    return { Keys: Object.values(c.keys.state.keys).map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: false };
  },
  async CreateAlias(c) {
    const name = required(c.input, 'AliasName');
    if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name) || name.startsWith('alias/aws/')) {
      throw new AwsError('ValidationException', `Alias ${name} must begin with alias/ (not alias/aws/) and contain only alphanumerics, '/', '_' and '-'.`);
    }
    if (c.keys.state.aliases[name])
      throw new AwsError('AlreadyExistsException', `An alias with the name ${c.keys.keyArn('').replace(/key\/$/, '')}${name} already exists`);
    const key = c.keys.resolve(required(c.input, 'TargetKeyId'));
    await authorize(c, key, { operation: 'CreateAlias' });
    c.keys.state.aliases[name] = key.keyId;
    return {};
  },
  async ListAliases(c) {
    await authorizeAccount(c, 'ListAliases');
    const only = str(c.input, 'KeyId') ? c.keys.resolve(str(c.input, 'KeyId')!).keyId : undefined;
    const aliases = Object.entries(c.keys.state.aliases).filter(([, id]) => !only || id === only);
    return {
      Aliases: aliases.map(([name, id]) => ({ AliasName: name, AliasArn: `arn:aws:kms:${c.keys.region}:${c.keys.accountId}:${name}`, TargetKeyId: id })),
      Truncated: false,
    };
  },
  async GetKeyPolicy(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'GetKeyPolicy' });
    return { Policy: JSON.stringify(key.policy), PolicyName: 'default' };
  },
  async PutKeyPolicy(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'PutKeyPolicy' });
    const policy = parsePolicy(required(c.input, 'Policy'));
    await lockoutCheck(c, key, policy);
    key.policy = policy;
    return {};
  },
  async CreateGrant(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    const grantee = required(c.input, 'GranteePrincipal');
    const operations = (c.input.Operations as string[] | undefined) ?? [];
    if (operations.length === 0)
      throw new AwsError('ValidationException', "1 validation error detected: Value at 'operations' failed to satisfy constraint: Member must not be null");
    await authorize(c, key, { operation: 'CreateGrant', context: { 'kms:GranteePrincipal': grantee, 'kms:GrantOperations': operations } });
    const grant = newGrant(c, {
      name: str(c.input, 'Name'),
      granteePrincipal: grantee,
      retiringPrincipal: str(c.input, 'RetiringPrincipal'),
      operations,
      constraints: c.input.Constraints as GrantRecord['constraints'],
    });
    key.grants.push(grant);
    return { GrantId: grant.grantId, GrantToken: grantToken(key, grant) };
  },
  async ListGrants(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'ListGrants' });
    return {
      Grants: key.grants.map((g) => ({
        KeyId: key.arn,
        GrantId: g.grantId,
        Name: g.name ?? '',
        CreationDate: seconds(g.creationDate),
        GranteePrincipal: g.granteePrincipal,
        RetiringPrincipal: g.retiringPrincipal,
        IssuingAccount: g.issuingAccount,
        Operations: g.operations,
        Constraints: g.constraints,
      })),
      Truncated: false,
    };
  },
  async RetireGrant(c) {
    const token = str(c.input, 'GrantToken');
    const found = token
      ? grantByToken(c.keys, token)
      : (() => {
          const key = c.keys.resolve(required(c.input, 'KeyId'));
          const grant = key.grants.find((g) => g.grantId === required(c.input, 'GrantId'));
          if (!grant) throw new AwsError('NotFoundException', `Grant ID ${str(c.input, 'GrantId')} not found`);
          return { key, grant };
        })();
    // the retiring principal, or a grantee whose grant includes RetireGrant (https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html)
    const who = 'roleName' in c.caller ? c.caller.arn : `arn:aws:iam::${c.caller.accountId}:root`;
    const may = found.grant.retiringPrincipal === who || (found.grant.granteePrincipal === who && found.grant.operations.includes('RetireGrant'));
    if (!may) await authorize(c, found.key, { operation: 'RetireGrant' });
    found.key.grants = found.key.grants.filter((g) => g !== found.grant);
    return {};
  },
  async RevokeGrant(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'RevokeGrant' });
    const id = required(c.input, 'GrantId');
    if (!key.grants.some((g) => g.grantId === id)) throw new AwsError('NotFoundException', `Grant ID ${id} not found`);
    key.grants = key.grants.filter((g) => g.grantId !== id);
    return {};
  },
  async Encrypt(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    const context = contextOf(c.input);
    await authorize(c, key, { operation: 'Encrypt', encryptionContext: context });
    return { CiphertextBlob: seal(key, blob(c.input, 'Plaintext'), context).toString('base64'), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
  async Decrypt(c) {
    const cipher = blob(c.input, 'CiphertextBlob');
    const key = c.keys.resolve(keyIdOf(cipher));
    const asked = str(c.input, 'KeyId');
    if (asked && c.keys.find(asked)?.keyId !== key.keyId)
      throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
    const context = contextOf(c.input);
    await authorize(c, key, { operation: 'Decrypt', encryptionContext: context });
    return { KeyId: key.arn, Plaintext: open(key, cipher, context).toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
  async GenerateDataKey(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    const context = contextOf(c.input);
    await authorize(c, key, { operation: 'GenerateDataKey', encryptionContext: context });
    const plain = randomBytes(dataKeyBytes(c.input));
    return { CiphertextBlob: seal(key, plain, context).toString('base64'), Plaintext: plain.toString('base64'), KeyId: key.arn };
  },
  async GenerateDataKeyWithoutPlaintext(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    const context = contextOf(c.input);
    await authorize(c, key, { operation: 'GenerateDataKeyWithoutPlaintext', encryptionContext: context });
    return { CiphertextBlob: seal(key, randomBytes(dataKeyBytes(c.input)), context).toString('base64'), KeyId: key.arn };
  },
  async ReEncrypt(c) {
    const cipher = blob(c.input, 'CiphertextBlob');
    const source = c.keys.resolve(keyIdOf(cipher));
    const destination = c.keys.resolve(required(c.input, 'DestinationKeyId'));
    const from = contextOf(c.input, 'SourceEncryptionContext');
    const to = contextOf(c.input, 'DestinationEncryptionContext');
    // ReEncrypt needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination
    // (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html)
    await authorize(c, source, { operation: 'ReEncryptFrom', encryptionContext: from });
    await authorize(c, destination, { operation: 'ReEncryptTo', encryptionContext: to });
    return { CiphertextBlob: seal(destination, open(source, cipher, from), to).toString('base64'), SourceKeyId: source.arn, KeyId: destination.arn };
  },
  ...KEY_STATE_OPERATIONS,
};
