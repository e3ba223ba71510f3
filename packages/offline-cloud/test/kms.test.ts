/**
 * The offline KMS: keys, key policies, grants, aliases, key states and round-tripping cryptography over the real
 * @aws-sdk/client-kms, with authorization as AWS documents it: the key policy decides; IAM policies count only when
 * the key policy lets the account in; grants allow their grantee; the policy lockout check.
 */
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { clientConfig, startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, roleCredentials, writeAssembly } from './helpers/iam-assembly';

const ACCOUNT = '000000000000';
const ADMIN = `arn:aws:iam::${ACCOUNT}:user/offline-administrator`;
const assembly = writeAssembly({
  User: role('KeyUser', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: '*' }]),
  Nobody: role('NoKms', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: 'ec2:DescribeVolumes', Resource: '*' }]),
});

let t: TestCloud;
let admin: KMSClient;
let user: KMSClient;
let nobody: KMSClient;

beforeAll(async () => {
  t = await startTestCloud({ assemblyDir: assembly });
  admin = new KMSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const as = async (name: string) => new KMSClient({ endpoint: t.url, region: TEST_REGION, credentials: await roleCredentials(t.url, name), maxAttempts: 1 });
  user = await as('KeyUser');
  nobody = await as('NoKms');
});
afterAll(async () => {
  for (const c of [admin, user, nobody]) c?.destroy();
  await t?.stop();
});

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('the request was allowed');
}

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');
const policy = (...statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const adminStatement = { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' };

test('a key made without a policy has the default one (the account root, kms:*): IAM policies decide who uses it', async () => {
  const key = (await admin.send(new CreateKeyCommand({ Description: 'default policy' }))).KeyMetadata!;
  expect(key).toMatchObject({ KeyState: 'Enabled', Enabled: true, KeyManager: 'CUSTOMER', Arn: `arn:aws:kms:${TEST_REGION}:${ACCOUNT}:key/${key.KeyId}` });
  const doc = JSON.parse((await admin.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy!);
  expect(doc.Statement).toEqual([expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*' })]);

  const sealed = await user.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: Buffer.from('secret'), EncryptionContext: { volume: 'v1' } }));
  const opened = await user.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { volume: 'v1' } }));
  expect(text(opened.Plaintext)).toBe('secret');
  expect(opened.KeyId).toBe(key.Arn);
  expect((await failure(user.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { volume: 'v2' } })))).name).toBe(
    'InvalidCiphertextException',
  );

  const denied = await failure(nobody.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { volume: 'v1' } })));
  expect(denied.name).toBe('AccessDeniedException');
  expect(denied.message).toContain(`is not authorized to perform: kms:Decrypt on resource: ${key.Arn}`);
});

test('without the root statement IAM policies do not count; a statement naming the role does', async () => {
  const key = (await admin.send(new CreateKeyCommand({ Policy: policy(adminStatement) }))).KeyMetadata!;
  expect((await failure(user.send(new DescribeKeyCommand({ KeyId: key.KeyId })))).name).toBe('AccessDeniedException');
  await admin.send(
    new PutKeyPolicyCommand({
      KeyId: key.KeyId,
      Policy: policy(adminStatement, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/NoKms` }, Action: 'kms:DescribeKey', Resource: '*' }),
    }),
  );
  expect((await nobody.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyId).toBe(key.KeyId);
  expect((await failure(user.send(new DescribeKeyCommand({ KeyId: key.KeyId })))).name).toBe('AccessDeniedException');
});

test('the policy lockout check refuses a key policy that would lock its creator out', async () => {
  const lockout = policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/KeyUser` }, Action: 'kms:*', Resource: '*' });
  const f = await failure(admin.send(new CreateKeyCommand({ Policy: lockout })));
  expect(f).toMatchObject({
    name: 'MalformedPolicyDocumentException',
    message: 'The new key policy will not allow you to update the key policy in the future.',
  });
  const before = (await admin.send(new ListKeysCommand({}))).Keys!.length;
  await admin.send(new CreateKeyCommand({ Policy: lockout, BypassPolicyLockoutSafetyCheck: true }));
  expect((await admin.send(new ListKeysCommand({}))).Keys!.length).toBe(before + 1);
});

test('a grant lets its grantee use the key for its operations only, until it is revoked', async () => {
  const key = (await admin.send(new CreateKeyCommand({ Policy: policy(adminStatement) }))).KeyMetadata!;
  const blob = (await admin.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }))).CiphertextBlob;
  const grant = await admin.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/NoKms`, Operations: ['Decrypt'] }));
  expect(text((await nobody.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext)).toBe('x');
  expect((await failure(nobody.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('y') })))).name).toBe('AccessDeniedException');
  expect((await admin.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants).toEqual([
    expect.objectContaining({ GrantId: grant.GrantId, Operations: ['Decrypt'] }),
  ]);
  await admin.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: grant.GrantId }));
  expect((await failure(nobody.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('AccessDeniedException');
});

test('aliases name keys; data keys and re-encryption round-trip', async () => {
  const a = (await admin.send(new CreateKeyCommand({}))).KeyMetadata!;
  const b = (await admin.send(new CreateKeyCommand({}))).KeyMetadata!;
  await admin.send(new CreateAliasCommand({ AliasName: 'alias/lifeboat-test', TargetKeyId: a.KeyId }));
  expect((await admin.send(new DescribeKeyCommand({ KeyId: 'alias/lifeboat-test' }))).KeyMetadata?.Arn).toBe(a.Arn);
  expect((await admin.send(new ListAliasesCommand({ KeyId: a.KeyId }))).Aliases?.map((x) => x.AliasName)).toEqual(['alias/lifeboat-test']);
  expect((await failure(admin.send(new CreateAliasCommand({ AliasName: 'alias/lifeboat-test', TargetKeyId: b.KeyId })))).name).toBe('AlreadyExistsException');

  const dataKey = await admin.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: 'alias/lifeboat-test', KeySpec: 'AES_256' }));
  const moved = await admin.send(new ReEncryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, DestinationKeyId: b.Arn }));
  expect(moved).toMatchObject({ SourceKeyId: a.Arn, KeyId: b.Arn });
  expect((await admin.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob }))).Plaintext).toHaveLength(32);
});

test('a disabled key refuses cryptography (DisabledException); one pending deletion refuses all but reads (KMSInvalidStateException)', async () => {
  const key = (await admin.send(new CreateKeyCommand({}))).KeyMetadata!;
  await admin.send(new DisableKeyCommand({ KeyId: key.KeyId }));
  expect((await failure(admin.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })))).name).toBe('DisabledException');
  await admin.send(new EnableKeyCommand({ KeyId: key.KeyId }));
  await admin.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }));
  expect((await failure(admin.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 3 })))).name).toBe('ValidationException');
  const scheduled = await admin.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
  expect(scheduled).toMatchObject({ KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
  expect((await failure(admin.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })))).name).toBe('KMSInvalidStateException');
  expect((await admin.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('PendingDeletion');
  await admin.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
  expect((await admin.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState).toBe('Disabled');
});
