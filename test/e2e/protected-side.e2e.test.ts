/**
 * Ransomware resilience of the replica store against the protected side, end to end on the offline cloud (which
 * evaluates each deployed role's policies and the bucket's policy on every request): after one sync of VPG app, each
 * of app's protected-side roles (its zSAT agent role, its sync and cleanup step roles), acting through its own
 * session credentials, cannot delete or overwrite a committed checkpoint, its summary, a pack or a pack index, cannot
 * change the bucket's policy, versioning or lifecycle, cannot delete an object version, and cannot read or write VPG
 * other's part of the store; what each role's steps do still passes; and the checkpoint still restores byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  GetBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { checkpointKey, checkpointSummaryKey } from '../../runtime/core/store/format';
import { protectedRolePath, vpgStackName } from '../../runtime/core/resource-names';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import type { VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { vpgRuntimeOf } from '../../bin/commands/context';
import { deployTestSite, type TestSite } from '../helpers/site';
import { expectStoreReproduces, volumeImages } from '../helpers/store-checks';

const SITE = 'guard';
const config = {
  siteId: SITE,
  vpgs: [
    { name: 'app', instances: { tags: { app: 'guard-app' } }, syncIntervalMinutes: 60, journalHours: 24 },
    { name: 'other', instances: { tags: { app: 'guard-other' } }, syncIntervalMinutes: 60, journalHours: 24 },
  ],
  pollSeconds: 5,
};
/** app's protected-side roles, by the logical id prefix of their AWS::IAM::Role in app's stack. */
const PROTECTED_ROLES = { zsat: 'ZsatAgentRole', sync: 'StepRolesSync', cleanup: 'StepRolesCleanup' } as const;
type Who = keyof typeof PROTECTED_ROLES;

let site: TestSite;
let app: ProtectedInstance;
let bucket: string;
let checkpointId: string;
let expected: Map<string, VolumeImage>;
/** The committed objects under attack and their bytes' SHA-256 after the sync. */
const committed = new Map<string, string>();
const OTHER_KEY = 'vpgs/other/checkpoints/cp-20260101T000000Z-other.json';
const clients: S3Client[] = [];
/** Protected roles that attacked the committed objects: the last test checks after all of them. */
const attackers = new Set<string>();

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const read = async (key: string) => Buffer.from(await (await site.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());

/** The deployed role's ARN: CloudFormation's Arn attribute of the role in app's stack. */
function deployedRoleArn(prefix: string): string {
  const stack = site.cloud.sfn.deployedStacks().find((s) => s.stackName === vpgStackName(SITE, 'app'))!;
  const roles = Object.values(stack.resources).filter((r) => r.type === 'AWS::IAM::Role' && r.logicalId.startsWith(prefix));
  expect(roles).toHaveLength(1);
  return String(roles[0].attributes.Arn);
}

/** An S3 client signing with the role's session credentials (the offline cloud's credentials route, as STS hands them out). */
async function s3As(roleArn: string): Promise<S3Client> {
  const res = await fetch(`${site.url}/_lifeboat/credentials`, { method: 'POST', body: JSON.stringify({ roleArn }) });
  expect(res.status).toBe(200);
  const c = (await res.json()) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
  const client = new S3Client({
    endpoint: site.url,
    region: site.cloud.ctx.region,
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
  clients.push(client);
  return client;
}

/** 'ok', or the error's name and HTTP status. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return `${e.name} ${e.$metadata?.httpStatusCode}`;
  }
}
const DENIED = 'AccessDenied 403';

beforeAll(async () => {
  site = await deployTestSite(config, { vcpuQuota: 8 });
  app = await createProtectedInstance(site.ec2, { tags: { app: 'guard-app' }, volumeSizesGiB: [1] });
  bucket = (await vpgRuntimeOf(site.sfn, site.syncArn('app'))).storeBucket;
  await writeVolume(site.url, app.volumes[0].volumeId, 0, seededBytes('guard', 8 * BLOCK_SIZE));
  await writePattern(site.url, app.volumes[0], { seed: 'g1', runs: 2, runBlocks: 3, scattered: 4 });
  expected = await volumeImages(site, [app]);
  // the sync itself runs with the protected roles under the bucket's policy: it must still commit
  checkpointId = (await runSync(site.sfn, site.syncArn('app'), 'guarded sync')).checkpointId;
  const listed = await site.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vpgs/app/packs/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  const pack = keys.find((k) => k.endsWith('.pack'));
  const index = keys.find((k) => k.endsWith('.idx.json'));
  expect({ pack, index }).toEqual({ pack: expect.any(String), index: expect.any(String) });
  for (const key of [checkpointKey('app', checkpointId), checkpointSummaryKey('app', checkpointId), pack!, index!]) committed.set(key, sha256(await read(key)));
  await site.s3.send(new PutObjectCommand({ Bucket: bucket, Key: OTHER_KEY, Body: '{}' }));
}, 300_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await site?.stop();
});

describe.each(Object.keys(PROTECTED_ROLES) as Who[])("app's %s role, acting as itself", (who) => {
  let s3: S3Client;
  beforeAll(async () => {
    const arn = deployedRoleArn(PROTECTED_ROLES[who]);
    expect(arn).toContain(`:role${protectedRolePath(SITE, 'app')}`);
    s3 = await s3As(arn);
  });

  test('cannot delete nor overwrite a checkpoint, its summary, a pack or an index', async () => {
    const results: Record<string, string> = {};
    for (const key of committed.keys()) {
      const kind = key.endsWith('.summary.json') ? 'summary' : key.includes('/checkpoints/') ? 'checkpoint' : key.endsWith('.pack') ? 'pack' : 'index';
      results[`delete ${kind}`] = await outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
      results[`overwrite ${kind}`] = await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'encrypted by ransomware' })));
    }
    expect(results).toEqual(Object.fromEntries(Object.keys(results).map((k) => [k, DENIED])));
    expect(Object.keys(results)).toHaveLength(8);
    attackers.add(who);
  });

  test("cannot change the bucket's policy, versioning or lifecycle, nor delete an object version", async () => {
    const [key] = committed.keys();
    expect({
      PutBucketPolicy: await outcome(s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }))),
      PutBucketVersioning: await outcome(s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }))),
      PutBucketLifecycleConfiguration: await outcome(
        s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: bucket,
            LifecycleConfiguration: { Rules: [{ ID: 'wipe', Status: 'Enabled', Filter: { Prefix: 'vpgs/' }, Expiration: { Days: 1 } }] },
          }),
        ),
      ),
      DeleteObjectVersion: await outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: 'v1' }))),
    }).toEqual({ PutBucketPolicy: DENIED, PutBucketVersioning: DENIED, PutBucketLifecycleConfiguration: DENIED, DeleteObjectVersion: DENIED });
    expect((await site.s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled');
  });

  test("cannot read, list or write VPG other's part of the store", async () => {
    expect({
      read: await outcome(s3.send(new GetObjectCommand({ Bucket: bucket, Key: OTHER_KEY }))),
      list: await outcome(s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vpgs/other/' }))),
      create: await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `vpgs/other/packs/${'cd'.repeat(32)}.pack`, Body: 'x', IfNoneMatch: '*' }))),
      delete: await outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: OTHER_KEY }))),
    }).toEqual({ read: DENIED, list: DENIED, create: DENIED, delete: DENIED });
  });

  test('still does what its steps do', async () => {
    if (who === 'zsat') {
      // a new pack, created (If-None-Match) under its own VPG
      const data = randomBytes(64);
      const key = `vpgs/app/packs/${sha256(data)}.pack`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, IfNoneMatch: '*' }));
      expect(sha256(await read(key))).toBe(sha256(data));
      await site.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })); // an administrator tidies up
    } else {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: checkpointKey('app', checkpointId) }));
      expect(sha256(await got.Body!.transformToByteArray())).toBe(committed.get(checkpointKey('app', checkpointId)));
      if (who === 'cleanup') {
        const working = 'vpgs/app/syncs/guard-test/plans/vol-0.json';
        await site.s3.send(new PutObjectCommand({ Bucket: bucket, Key: working, Body: '{}' }));
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: working }));
        expect(await outcome(site.s3.send(new GetObjectCommand({ Bucket: bucket, Key: working })))).toBe('NoSuchKey 404');
      }
    }
  });
});

describe('a protected role whose own policy an attacker widened to s3:* on everything', () => {
  test("is still refused by the bucket's policy: an explicit deny", async () => {
    const arn = deployedRoleArn(PROTECTED_ROLES.sync);
    // stands for the attacker's iam:PutRolePolicy on the protected account (the offline cloud's IAM serves reads only)
    const record = site.cloud.ctx.iam?.roleByArn(arn);
    if (!record) throw new Error(`the offline cloud holds no role ${arn}`);
    record.inlinePolicies.Widened = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
    try {
      const s3 = await s3As(arn);
      const [key] = committed.keys();
      const messages: Record<string, string> = {};
      const attempt = async (label: string, p: Promise<unknown>) => {
        messages[label] = await p.then(
          () => 'ok',
          (e: Error) => e.message,
        );
      };
      await attempt('delete', s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
      await attempt('overwrite', s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'encrypted by ransomware' })));
      await attempt('policy', s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) })));
      await attempt('versioning', s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } })));
      for (const [label, message] of Object.entries(messages))
        expect({ label, message }).toEqual({ label, message: expect.stringContaining('with an explicit deny') });
      // what the Deny spares, the widened policy now allows: it is the bucket's Deny, not a missing grant, that refused
      const other = 'vpgs/other/syncs/s-1/plans/vol-0.json';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: other, Body: '{}' }));
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: other }));
      attackers.add('widened sync');
    } finally {
      delete record.inlinePolicies.Widened;
    }
  });
});

test('afterwards every committed object is unchanged and the checkpoint restores byte for byte', async () => {
  expect([...attackers].sort()).toEqual(['cleanup', 'sync', 'widened sync', 'zsat']);
  for (const [key, digest] of committed) expect({ key, digest: sha256(await read(key)) }).toEqual({ key, digest });
  await expectStoreReproduces(site, 'app', checkpointId, expected);
  expect(sha256(await read(OTHER_KEY))).toBe(sha256(Buffer.from('{}')));
});
