/**
 * Prepare in a recovery region where the sources do not exist: the zone comes from the recovery side (target
 * subnet, importer subnets, default VPC), never from a lookup of the source volumes or instances; a volume's KMS
 * key of the protected region becomes its replica here, or the region's default EBS key, and the log says so.
 */
import { prepareImport, resolveFailback } from '../../runtime/core/failback/resolve';
import type { ImportJob } from '../../runtime/core/workers/agent-job';
import { parseKeyArn } from '../../runtime/core/failback/recovery-site';
import { spawnImporter } from '../../runtime/core/failback/importers';
import { commitCheckpoint, failbackWorld, init, REGION, type FailbackWorld, type SourceVolume } from './fake-recovery';

const ROOT: SourceVolume = { id: 'vol-0aaaaaaaaaaaaaaaa', instanceId: 'i-0aaaaaaaaaaaaaaaa', device: '/dev/xvda' };
const DATA: SourceVolume = { id: 'vol-0bbbbbbbbbbbbbbbb', instanceId: 'i-0aaaaaaaaaaaaaaaa', device: '/dev/xvdf' };

async function prepared(fw: FailbackWorld, request: Record<string, unknown> = {}, recovery = {}) {
  const state = init(request, recovery);
  const resolve = await resolveFailback(state, fw.deps);
  return prepareImport({ ...state, resolve }, fw.deps);
}

describe('prepare: the zone of the recovered volumes', () => {
  it("is the target subnet's, and no source volume or instance is looked up", async () => {
    const fw = failbackWorld();
    fw.recovery.subnets.set('subnet-0cccccccccccccccc', `${REGION}b`);
    await commitCheckpoint(fw.world, [ROOT, DATA]);
    const out = await prepared(fw, { target: { subnetId: 'subnet-0cccccccccccccccc' } });
    expect(out.availabilityZone).toBe(`${REGION}b`);
    expect(fw.world.ec2.calls.describeVolumes).toBeUndefined();
    expect(fw.world.ec2.calls.describeInstances).toBeUndefined();
    expect(fw.recovery.calls.instanceDetails).toBeUndefined();
  });

  it("is an importer subnet's when there is no recovery subnet (the first listed that exists)", async () => {
    const fw = failbackWorld({ importerSubnets: { subnetIds: ['subnet-0eeeeeeeeeeeeeeee', 'subnet-0dddddddddddddddd'], configKey: 'importer.subnetIds' } });
    fw.world.ec2.configuredSubnets.set('subnet-0dddddddddddddddd', { subnetId: 'subnet-0dddddddddddddddd', availabilityZone: `${REGION}b`, vpcId: 'vpc-1' });
    await commitCheckpoint(fw.world, [ROOT]);
    // the importer subnets must cover the zone: here both listed exist only in part, so Prepare names the missing one
    await expect(prepared(fw)).rejects.toThrow(/importer.subnetIds: subnet-0eeeeeeeeeeeeeeee does not exist/);
    fw.world.ec2.configuredSubnets.set('subnet-0eeeeeeeeeeeeeeee', { subnetId: 'subnet-0eeeeeeeeeeeeeeee', availabilityZone: `${REGION}a`, vpcId: 'vpc-1' });
    const out = await prepared(fw);
    expect(out.availabilityZone).toBe(`${REGION}a`);
    expect(fw.world.ec2.calls.describeVolumes).toBeUndefined();
  });

  it("is a default subnet's otherwise, and without any a cause that names the setting to add", async () => {
    const fw = failbackWorld();
    fw.recovery.defaultZones = [`${REGION}b`, `${REGION}a`];
    await commitCheckpoint(fw.world, [ROOT]);
    expect((await prepared(fw)).availabilityZone).toBe(`${REGION}a`);
    fw.recovery.defaultZones = [];
    await expect(prepared(fw)).rejects.toThrow(
      `cannot choose an availability zone in ${REGION}: no recovery subnet, no importer.subnetIds and no default VPC there; set vpgs[i].recovery.subnetId`,
    );
    expect(fw.world.ec2.calls.describeVolumes).toBeUndefined();
  });
});

describe("prepare: the recovered volumes' KMS keys", () => {
  const here = `arn:aws:kms:${REGION}:111122223333:key/0f0f0f0f-1111-2222-3333-444444444444`;
  const there = 'arn:aws:kms:us-east-1:111122223333:key/1f1f1f1f-1111-2222-3333-444444444444';
  const multi = 'arn:aws:kms:us-east-1:111122223333:key/mrk-0123456789abcdef0123456789abcdef';
  const multiHere = `arn:aws:kms:${REGION}:111122223333:key/mrk-0123456789abcdef0123456789abcdef`;
  const gone = `arn:aws:kms:${REGION}:111122223333:key/2f2f2f2f-1111-2222-3333-444444444444`;

  async function keysOf(fw: FailbackWorld, kmsKeyIds: Array<string | undefined>) {
    const volumes = kmsKeyIds.map((kmsKeyId, i) => ({
      id: `vol-0${i}${'a'.repeat(15)}`,
      instanceId: ROOT.instanceId,
      device: `/dev/xvd${'fghij'[i]}`,
      kmsKeyId,
    }));
    await commitCheckpoint(fw.world, volumes);
    const out = await prepared(fw, {}, { volumesPerImporter: 8 });
    const job = (await fw.world.store.getJson<ImportJob>(out.importers[0].jobKey))!;
    return { out, job, volumes };
  }

  it("keeps a key of the recovery region, takes a multi-Region key's replica here, and otherwise the region's default key, saying so", async () => {
    const fw = failbackWorld();
    fw.keys.existing.add(here).add(multiHere);
    const { out, job, volumes } = await keysOf(fw, [here, there, multi, gone, undefined]);
    const plan = new Map(out.volumes.map((v) => [v.sourceVolumeId, v]));
    expect(volumes.map((v) => plan.get(v.id)).map((v) => ({ kmsKeyId: v?.kmsKeyId, defaultKey: v?.defaultKey }))).toEqual([
      { kmsKeyId: here, defaultKey: undefined },
      { kmsKeyId: undefined, defaultKey: true },
      { kmsKeyId: multiHere, defaultKey: undefined },
      { kmsKeyId: undefined, defaultKey: true },
      { kmsKeyId: undefined, defaultKey: undefined },
    ]);
    const jobVolumes = new Map(job.volumes.map((v) => [v.sourceVolumeId, v]));
    expect(jobVolumes.get(volumes[1].id)).toMatchObject({ encrypted: true });
    expect(jobVolumes.get(volumes[1].id)!.kmsKeyId).toBeUndefined();
    expect(jobVolumes.get(volumes[2].id)).toMatchObject({ kmsKeyId: multiHere });
    expect(jobVolumes.get(volumes[4].id)!.encrypted).toBeUndefined();
    // a key of another region is never asked about here; one of this region is
    expect(fw.keys.asked.sort()).toEqual([gone, here, multiHere].sort());
    expect(fw.world.log.has(`${there} is a key of us-east-1, not of ${REGION}`)).toBe(true);
    expect(fw.world.log.has(`${gone} does not exist in ${REGION}`)).toBe(true);
    expect(fw.world.log.has("recovered volume encrypted with the recovery region's default EBS key")).toBe(true);
  });

  it('a multi-Region key without a replica here, and a key KMS will not describe, are handled as the reference allows', async () => {
    const fw = failbackWorld();
    fw.keys.unknown.add(here);
    const { out } = await keysOf(fw, [multi, here]);
    const [viaDefault, kept] = [...out.volumes].sort((a, b) => a.sourceVolumeId.localeCompare(b.sourceVolumeId));
    expect(viaDefault).toMatchObject({ defaultKey: true });
    // AccessDenied says nothing about existence: the key is kept, and CreateVolume names it if it fails
    expect(kept).toMatchObject({ kmsKeyId: here });
    expect(fw.world.log.has('is a multi-Region key of us-east-1 with no replica in eu-west-1')).toBe(true);
  });

  it('SpawnImporter creates the default-key target encrypted with no key id, and the kept-key one under its key', async () => {
    const fw = failbackWorld();
    fw.world.ec2.addLaunchTemplate('lifeboat-site-a-zimporter');
    fw.keys.existing.add(here);
    const { out } = await keysOf(fw, [here, there]);
    await spawnImporter(
      {
        vpg: init().vpg,
        executionId: init().executionId,
        importId: 'fb-1',
        checkpointId: out.checkpointId,
        availabilityZone: out.availabilityZone,
        importer: out.importers[0],
      },
      fw.deps,
    );
    const bySize = fw.recovery.blank.map((b) => ({ kmsKeyId: b.kmsKeyId, encrypted: b.encrypted }));
    expect(bySize).toEqual(
      expect.arrayContaining([
        { kmsKeyId: here, encrypted: undefined },
        { kmsKeyId: undefined, encrypted: true },
      ]),
    );
  });

  it('reads key ARNs: region, account and id; a bare key id or alias has none', () => {
    expect(parseKeyArn(multi)).toEqual({ partition: 'aws', region: 'us-east-1', account: '111122223333', keyId: 'mrk-0123456789abcdef0123456789abcdef' });
    expect(parseKeyArn('alias/aws/ebs')).toBeNull();
    expect(parseKeyArn('1f1f1f1f-1111-2222-3333-444444444444')).toBeNull();
  });
});
