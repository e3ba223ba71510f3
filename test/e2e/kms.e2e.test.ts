/**
 * Encrypted volumes under customer managed KMS keys, end to end on the offline cloud (its KMS holds keys, key policies
 * and grants; EC2 and the EBS direct APIs call it with Lifeboat's roles' identities):
 * - a VPG whose volumes are encrypted under a key whose policy delegates to IAM, in an account that encrypts new
 *   volumes by default under another customer managed key, syncs twice and fails back byte for byte, and every
 *   recovered volume is encrypted (the data volumes under their source's key, the root under the account default);
 * - a VPG whose key's policy lets only the administrator in fails its sync with a cause naming the key, and leaves
 *   nothing of its own behind.
 */
import {
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EnableEbsEncryptionByDefaultCommand,
  ModifyEbsDefaultKmsKeyIdCommand,
} from '@aws-sdk/client-ec2';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { TAG, tagMap } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage, type VolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { runFailback } from '../../bin/demo/run-failback';
import { ownedResources } from '../../bin/demo/inventory';
import { readableCause, startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { checksOf, doctorOf } from '../helpers/doctor';

const SITE = 'kms';
const config = {
  siteId: SITE,
  vpgs: [
    { name: 'app', instances: { tags: { app: 'kms-app' } }, syncIntervalMinutes: 60, journalHours: 24 },
    { name: 'locked', instances: { tags: { app: 'kms-locked' } }, syncIntervalMinutes: 60, journalHours: 24 },
  ],
  pollSeconds: 5,
};

let site: TestSite;
let kms: KMSClient;
let app: ProtectedInstance;
let appKey: string;
let defaultKey: string;
const expected = new Map<string, VolumeImage>();

beforeAll(async () => {
  site = await deployTestSite(config, { vcpuQuota: 16 });
  kms = new KMSClient({ endpoint: site.url, region: site.cloud.ctx.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // no Policy: the default key policy, whose root statement lets IAM policies (Lifeboat's roles') grant the key's use
  appKey = (await kms.send(new CreateKeyCommand({ Description: 'protected volumes' }))).KeyMetadata!.Arn!;
  defaultKey = (await kms.send(new CreateKeyCommand({ Description: 'account default for EBS' }))).KeyMetadata!.Arn!;
  await site.ec2.send(new EnableEbsEncryptionByDefaultCommand({}));
  await site.ec2.send(new ModifyEbsDefaultKmsKeyIdCommand({ KmsKeyId: defaultKey }));
  app = await createProtectedInstance(site.ec2, { tags: { app: 'kms-app' }, volumeSizesGiB: [1, 1], kmsKeyId: appKey });
}, 240_000);

afterAll(async () => {
  kms?.destroy();
  await site?.stop();
});

async function volumes(ids: string[]) {
  return (await site.ec2.send(new DescribeVolumesCommand({ VolumeIds: ids }))).Volumes ?? [];
}

describe('KMS-encrypted volumes, end to end on the offline cloud', () => {
  it('syncs twice and fails back byte for byte; every recovered volume is encrypted', async () => {
    const [dense, sparse] = app.volumes;
    expect((await volumes(app.volumes.map((v) => v.volumeId))).map((v) => v.KmsKeyId)).toEqual([appKey, appKey]);
    // the preflight evaluates both keys' policies with the step roles' policies and finds them usable
    const preflight = await doctorOf(site);
    expect(checksOf(preflight, 'problem').filter((c) => c.vpg === 'app')).toEqual([]);
    const keyLines = preflight.checks.filter((c) => c.vpg === 'app' && c.check === 'kms');
    expect(keyLines.map((c) => c.status)).toEqual(['ok', 'ok']);
    expect(keyLines.map((c) => c.detail.match(/arn:aws:kms:\S+/)![0]).sort()).toEqual([appKey, defaultKey].sort());
    await writeVolume(site.url, dense.volumeId, 0, seededBytes('dense', 16 * BLOCK_SIZE));
    await writePattern(site.url, sparse, { seed: 's1', runs: 2, runBlocks: 3, scattered: 4 });
    const first = await runSync(site.sfn, site.syncArn('app'), 'sync 1');
    await writePattern(site.url, dense, { seed: 'd2', runs: 1, runBlocks: 2, scattered: 3, trim: [1] });
    await writePattern(site.url, sparse, { seed: 's2', runs: 1, runBlocks: 2, scattered: 2, trim: [] });
    for (const v of app.volumes) expected.set(v.volumeId, await captureVolumeImage(site.url, v));
    const second = await runSync(site.sfn, site.syncArn('app'), 'sync 2');
    expect(second.checkpointId).not.toBe(first.checkpointId);
    expect(second.blocksRead).toBeLessThan(first.blocksRead);

    const out = await runFailback(site.sfn, site.failbackArn('app'), { checkpoint: 'latest', mode: 'test' });
    expect(out.checkpointId).toBe(second.checkpointId);
    const vm = (await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [out.recoveredInstances[0].instanceId] }))).Reservations![0].Instances![0];
    expect(vm.State?.Name).toBe('running');
    // the recovered VM's volume at each device stands for the source volume at that device (as failback.e2e pairs them)
    const byDevice = (i: typeof vm) => new Map((i.BlockDeviceMappings ?? []).map((m) => [m.DeviceName!, m.Ebs!.VolumeId!]));
    const sourceVm = (await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: [app.instanceId] }))).Reservations![0].Instances![0];
    const sourceKeys = new Map((await volumes([...byDevice(sourceVm).values()])).map((v) => [v.VolumeId!, v.KmsKeyId]));
    const recoveredVolumes = new Map((await volumes([...byDevice(vm).values()])).map((v) => [v.VolumeId!, v]));
    const pairs = [...byDevice(sourceVm)].map(([device, sourceId]) => ({ device, sourceId, copy: recoveredVolumes.get(byDevice(vm).get(device)!)! }));
    expect(pairs).toHaveLength(3); // the root (made under encryption by default) and the two data volumes
    for (const { device, sourceId, copy } of pairs) {
      // the root's source is under the account default key, the data volumes under appKey: each copy under its source's
      expect({ device, encrypted: copy.Encrypted, key: copy.KmsKeyId }).toEqual({ device, encrypted: true, key: sourceKeys.get(sourceId) });
      const image = expected.get(sourceId);
      if (image) expect((await captureVolumeImage(site.url, { volumeId: copy.VolumeId!, sizeBytes: image.sizeBytes })).sha256).toBe(image.sha256);
    }
    expect(new Set(sourceKeys.values())).toEqual(new Set([appKey, defaultKey]));
    expect(pairs.filter((p) => expected.has(p.sourceId))).toHaveLength(2);
  }, 420_000); // two syncs, an import and a launch (about 120 s here on a shared machine)

  it("a key whose policy does not let Lifeboat's roles in fails the sync with a cause naming the key, and leaves nothing behind", async () => {
    const admin = `arn:aws:iam::${site.cloud.ctx.accountId}:user/offline-administrator`;
    const lockedKey = (
      await kms.send(
        new CreateKeyCommand({
          Description: 'administrator only',
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Sid: 'AdminOnly', Effect: 'Allow', Principal: { AWS: admin }, Action: 'kms:*', Resource: '*' }],
          }),
        }),
      )
    ).KeyMetadata!.Arn!;
    const locked = await createProtectedInstance(site.ec2, { tags: { app: 'kms-locked' }, volumeSizesGiB: [1], kmsKeyId: lockedKey, name: 'locked-app' });
    await writeVolume(site.url, locked.volumes[0].volumeId, 0, seededBytes('locked', 4 * BLOCK_SIZE));
    const preflight = await doctorOf(site);
    const refused = checksOf(preflight, 'problem').filter((c) => c.vpg === 'locked');
    expect(refused.map((c) => c.check)).toEqual(['kms']);
    expect(refused[0].detail).toContain(`is under ${lockedKey}, which the step roles may not use: the sync steps (`);
    expect(refused[0].detail).toContain('kms:CreateGrant through ec2.us-east-1.amazonaws.com is not allowed');
    expect(refused[0].fix).toContain('docs/kms.md');

    const arn = await startExecution(site.sfn, site.syncArn('locked'), {}, 'locked');
    const exec = await waitForExecution(site.sfn, arn, { label: 'locked sync', pollMs: 200 });
    expect(exec.status).toBe('FAILED');
    const cause = readableCause(exec);
    // KMS's own words (who, which action, which key), then what to change
    expect(cause).toMatch(/kms:(Decrypt|DescribeKey|CreateGrant|GenerateDataKeyWithoutPlaintext)/);
    expect(cause).toContain(lockedKey);
    expect(cause).toContain('docs/kms.md');

    // nothing of the locked VPG's is left: no zSAT volume or instance, no snapshot (the protected volume is the customer's)
    const owned = await ownedResources(site.ec2, SITE);
    const ownedVolumes = owned.volumes.length ? await volumes(owned.volumes) : [];
    expect(ownedVolumes.filter((v) => tagMap(v.Tags)[TAG.vpg] === 'locked')).toEqual([]);
    const instances = owned.instances.length
      ? ((await site.ec2.send(new DescribeInstancesCommand({ InstanceIds: owned.instances }))).Reservations ?? []).flatMap((r) => r.Instances ?? [])
      : [];
    expect(instances.filter((i) => tagMap(i.Tags)[TAG.vpg] === 'locked')).toEqual([]);
    const snaps = await site.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.vpg}`, Values: ['locked'] }] }));
    expect(snaps.Snapshots ?? []).toEqual([]);
  }, 180_000);
});
