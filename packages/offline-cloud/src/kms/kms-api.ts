/**
 * The KMS operations the offline cloud serves, as TrentService's JSON 1.1 protocol carries them (blobs in base64,
 * dates in epoch seconds): https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html.
 * Each operation is authorized as kms-authz.ts says (key policy, IAM through it, grants; CreateKey and ListKeys/
 * ListAliases are IAM-only on `*`: https://docs.aws.amazon.com/kms/latest/developerguide/kms-api-permissions-reference.html).
 */
import { randomBytes } from 'node:crypto';
import { type Caller, evaluate } from '../iam/evaluate';
import type { IamRegistry, PolicyDocument } from '../iam/registry';
import { AwsError } from '../service';
import { accessDenied, mayUse, stateError, type KeyUse } from './kms-authz';
import { keyIdOf, open, seal } from './kms-crypto';
import type { GrantRecord, KeyRecord, KmsKeys } from './kms-keys';

type Json = Record<string, unknown>;
export interface KmsCall {
  keys: KmsKeys;
  iam: IamRegistry | undefined;
  caller: Caller;
  region: string;
  input: Json;
}
type Operation = (c: KmsCall) => Promise<Json>;

const str = (input: Json, name: string): string | undefined => (typeof input[name] === 'string' ? (input[name] as string) : undefined);
function required(input: Json, name: string): string {
  const v = str(input, name);
  if (!v) throw new AwsError('ValidationException', `1 validation error detected: Value at '${name.charAt(0).toLowerCase() + name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}
const blob = (input: Json, name: string): Buffer => Buffer.from(required(input, name), 'base64');
const contextOf = (input: Json, name = 'EncryptionContext') => input[name] as Record<string, string> | undefined;
const seconds = (ms: number) => ms / 1000;

function parsePolicy(text: string): PolicyDocument {
  try {
    const doc = JSON.parse(text) as PolicyDocument;
    if (doc && typeof doc === 'object' && doc.Statement) return doc;
  } catch {
    /* below */
  }
  throw new AwsError('MalformedPolicyDocumentException', 'The key policy is not valid JSON with a Statement.');
}

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

/** Authorizes one use of a key for the caller, then checks its state: AccessDeniedException, DisabledException… */
async function authorize(c: KmsCall, key: KeyRecord, use: KeyUse): Promise<void> {
  if (c.iam) {
    const verdict = await mayUse(c.iam, c.caller, c.region, key, use);
    if (!verdict.allowed) throw accessDenied(c.caller, key, use.operation, verdict);
  }
  const refused = stateError(key, use.operation);
  if (refused) throw refused;
}

/** An IAM-only action on `*` (CreateKey, ListKeys, ListAliases). */
async function authorizeAccount(c: KmsCall, action: string): Promise<void> {
  if (!c.iam) return;
  const verdict = await evaluate(c.iam, c.caller, c.region, [{ action: `kms:${action}`, resource: '*', context: { 'kms:CallerAccount': c.caller.accountId } }]);
  if (!verdict.allowed) throw new AwsError('AccessDeniedException', `User is not authorized to perform: kms:${action} on resource: * because no identity-based policy allows the kms:${action} action`);
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
    if (c.keys.state.aliases[name]) throw new AwsError('AlreadyExistsException', `An alias with the name ${c.keys.keyArn('').replace(/key\/$/, '')}${name} already exists`);
    const key = c.keys.resolve(required(c.input, 'TargetKeyId'));
    await authorize(c, key, { operation: 'CreateAlias' });
    c.keys.state.aliases[name] = key.keyId;
    return {};
  },
  async ListAliases(c) {
    await authorizeAccount(c, 'ListAliases');
    const only = str(c.input, 'KeyId') ? c.keys.resolve(str(c.input, 'KeyId')!).keyId : undefined;
    const aliases = Object.entries(c.keys.state.aliases).filter(([, id]) => !only || id === only);
    return { Aliases: aliases.map(([name, id]) => ({ AliasName: name, AliasArn: `arn:aws:kms:${c.keys.region}:${c.keys.accountId}:${name}`, TargetKeyId: id })), Truncated: false };
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
    if (operations.length === 0) throw new AwsError('ValidationException', "1 validation error detected: Value at 'operations' failed to satisfy constraint: Member must not be null");
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
    const found = token ? grantByToken(c.keys, token) : (() => {
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
    if (asked && c.keys.find(asked)?.keyId !== key.keyId) throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
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
  async DisableKey(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'DisableKey' });
    if (key.state === 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    key.state = 'Disabled';
    return {};
  },
  async EnableKey(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'EnableKey' });
    if (key.state === 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    key.state = 'Enabled';
    return {};
  },
  async ScheduleKeyDeletion(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'ScheduleKeyDeletion' });
    // 7 to 30 days, default 30 (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)
    const days = typeof c.input.PendingWindowInDays === 'number' ? c.input.PendingWindowInDays : 30;
    if (days < 7 || days > 30) throw new AwsError('ValidationException', `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`);
    key.state = 'PendingDeletion';
    key.deletionDate = c.keys.nowMs() + days * 86_400_000;
    return { KeyId: key.arn, DeletionDate: seconds(key.deletionDate), KeyState: key.state, PendingWindowInDays: days };
  },
  async CancelKeyDeletion(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'CancelKeyDeletion' });
    if (key.state !== 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    // a key whose deletion is cancelled is Disabled (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-scheduling-key-deletion.html)
    key.state = 'Disabled';
    key.deletionDate = undefined;
    return { KeyId: key.arn };
  },
};

