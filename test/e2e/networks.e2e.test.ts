/**
 * End to end in an account without a default VPC (a landing zone): the site stack refuses to deploy without network
 * settings, saying what to set; with a VPC and private subnets per zone reaching S3 only through the S3 gateway
 * endpoint Lifeboat offers, the preflight passes and syncs read exactly the written blocks and reproduce them; a
 * subnet with no path to S3 and a zone without a subnet each fail the preflight with the fix, and the sync (started
 * anyway) with a readable cause, leaving nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteVpcEndpointsCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeVpcEndpointsCommand,
  AssociateRouteTableCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { TAG } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writePattern, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage, compareBlockMap } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { runFailback } from '../../bin/demo/run-failback';
import { leftovers, ownedResources } from '../../bin/demo/inventory';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { recoveredCopyOf } from '../helpers/recovered';
import { checksOf, doctorOf } from '../helpers/doctor';

const VPG = 'app';
const base = (siteId: string) => ({
  siteId,
  vpgs: [{ name: VPG, instances: { tags: { app: `${siteId}-app` } }, syncIntervalMinutes: 60, journalHours: 24 }],
  pollSeconds: 5,
  // a zSAT that never reports (no path to S3) fails the sync a minute after its launch
  heartbeatTimeoutSeconds: 60,
});

/** A VPC with one private subnet (own route table, no internet route) per zone. */
async function privateNetwork(ec2: EC2Client, zones: readonly string[]) {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnets: Record<string, string> = {};
  const routeTables: string[] = [];
  for (const [i, zone] of zones.entries()) {
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.20.${i}.0/24`, AvailabilityZone: zone }))).Subnet!.SubnetId!;
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnetId }));
    subnets[zone] = subnetId;
    routeTables.push(rtb);
  }
  return { vpcId, subnets, routeTables };
}

describe('an account without a default VPC', () => {
  it('refuses to deploy a config without network settings, saying what to set', async () => {
    await expect(deployTestSite(base('nonet'), { noDefaultVpc: true })).rejects.toThrow(
      /DefaultVpc.*CREATE_FAILED: Received response status \[FAILED\] from custom resource\. Message returned: this account has no default VPC in us-east-1 .*set agent\.vpcId and agent\.subnetIds in lifeboat\.config\.json/,
    );
  }, 240_000); // a synth and a deploy: 55 s alone, over 120 s on a loaded 2-core machine

  describe('private subnets per zone reaching S3 through the offered gateway endpoint', () => {
    let site: TestSite;
    let net: Awaited<ReturnType<typeof privateNetwork>>;
    let app: ProtectedInstance;
    beforeAll(async () => {
      site = await deployTestSite(base('priv'), {
        noDefaultVpc: true,
        // the protected instance, the test-mode recovered VM and a zSAT at once
        vcpuQuota: 16,
        beforeDeploy: async (cloud) => {
          net = await privateNetwork(cloud.ec2, ['us-east-1a', 'us-east-1b']);
          return { agent: { vpcId: net.vpcId, subnetIds: Object.values(net.subnets), s3GatewayEndpoint: { routeTableIds: net.routeTables } } };
        },
      });
    }, 180_000);
    afterAll(async () => site?.stop());

    it("syncs twice, reading exactly the written blocks, from a zSAT in the volume zone's subnet with no public IP, and fails back byte for byte", async () => {
      const endpoints = await site.ec2.send(new DescribeVpcEndpointsCommand({}));
      expect(endpoints.VpcEndpoints?.map((e) => [e.VpcId, e.ServiceName, [...(e.RouteTableIds ?? [])].sort()])).toEqual([
        [net.vpcId, 'com.amazonaws.us-east-1.s3', [...net.routeTables].sort()],
      ]);
      app = await createProtectedInstance(site.ec2, { tags: { app: 'priv-app' }, volumeSizesGiB: [1], subnetId: net.subnets['us-east-1b'] });
      const [data] = app.volumes;
      // the deployed config names no recovery subnet (the failback below shows what that costs): the preflight says so
      const asDeployed = await doctorOf(site);
      expect(checksOf(asDeployed, 'problem')).toEqual([
        expect.objectContaining({
          check: 'recovery subnet',
          // the zone of the first importer subnet (agent.subnetIds here): never where the source volumes are
          detail: 'recovered VMs would launch in the default subnet of us-east-1a, and there is none (no default VPC in us-east-1)',
          fix: 'set vpgs[i].recovery.subnetId for VPG app and deploy again',
        }),
      ]);
      // with the fix it names, nothing blocks a sync or a failback
      const fixed = JSON.parse(fs.readFileSync(site.configPath, 'utf8'));
      fixed.vpgs[0].recovery = { subnetId: net.subnets['us-east-1b'] };
      const fixedPath = path.join(site.workDir, 'fixed.config.json');
      fs.writeFileSync(fixedPath, JSON.stringify(fixed));
      const preflight = await doctorOf({ url: site.url, configPath: fixedPath });
      expect(checksOf(preflight, 'problem')).toEqual([]);
      expect(preflight.ok).toBe(true);
      expect(preflight.checks.find((c) => c.check === 'recovery subnet')?.detail).toBe(`recovered VMs launch in ${net.subnets['us-east-1b']} (us-east-1b)`);
      expect(preflight.checks.find((c) => c.check === 'zSAT network')?.detail).toMatch(
        new RegExp(`^us-east-1b: zSATs launch in ${net.subnets['us-east-1b']}, reaching S3 through S3 gateway endpoint vpce-\\w+ on rtb-\\w+$`),
      );
      await writeVolume(site.url, data.volumeId, 0, seededBytes('priv', 12 * BLOCK_SIZE));
      let expected = await captureVolumeImage(site.url, data);
      for (const [round, seed] of ['s1', 's2'].entries()) {
        const written = round === 0 ? 12 : (await writePattern(site.url, data, { seed, runs: 1, runBlocks: 3, scattered: 2 })).blocksTouched.size;
        expected = await captureVolumeImage(site.url, data);
        const sync = await runSync(site.sfn, site.syncArn(VPG), `sync ${round + 1}`);
        const store = await site.store(VPG);
        const cp = await store.getCheckpoint(VPG, sync.checkpointId);
        expect(cp!.volumes.find((v) => v.sourceVolumeId === data.volumeId)!.blocksRead).toBe(written);
        const resolved = await store.resolveVolume(VPG, sync.checkpointId, data.volumeId);
        expect(compareBlockMap(resolved, expected).mismatches).toEqual([]);
      }
      const zsats = await site.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.role}`, Values: ['zsat'] }] }));
      const launched = (zsats.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      expect(launched.length).toBe(2);
      // A terminated instance no longer names its subnet (its interface is gone), as in AWS; its zone stays. With no
      // default VPC and one subnet per zone, us-east-1b can only be that zone's configured private subnet.
      for (const i of launched) {
        expect(i.Placement?.AvailabilityZone).toBe('us-east-1b');
      }
      // No public address: the template's interface asks for none (the offline cloud reaches S3 from these subnets
      // only through the gateway endpoint, packages/offline-cloud/README.md "Networks", so the syncs above prove it).
      const templates = await site.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: launched[0].Tags!.find((t) => t.Key === 'aws:ec2launchtemplate:id')?.Value,
          Versions: ['$Latest'],
        }),
      );
      expect(templates.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.NetworkInterfaces?.map((n) => n.AssociatePublicIpAddress)).toEqual([false]);

      // no recovery subnet and no default VPC: refused before anything is created
      const refused = await waitForExecution(site.sfn, await startExecution(site.sfn, site.failbackArn(VPG), {}, 'nosubnet'), {
        label: 'no subnet',
        pollMs: 500,
      });
      expect(refused.status).toBe('FAILED');
      expect(refused.cause).toMatch(
        /no subnet for the recovered VMs in us-east-1a: .*set vpgs\[i\]\.recovery\.subnetId for VPG app .*or give target\.subnetId/,
      );
      expect(
        (await site.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.role}`, Values: ['zimporter', 'recovered-vm'] }] }))).Reservations ??
          [],
      ).toEqual([]);

      // the importers run in the agent's network (the importer has none of its own) and write the checkpoint back
      const out = await runFailback(site.sfn, site.failbackArn(VPG), { target: { subnetId: net.subnets['us-east-1b'] } });
      const recovered = await recoveredCopyOf(site.ec2, out.recoveredInstances[0].instanceId, { instanceId: app.instanceId, volumeId: data.volumeId });
      expect((await captureVolumeImage(site.url, { volumeId: recovered, sizeBytes: expected.sizeBytes })).sha256).toBe(expected.sha256);
      const importers = await site.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.role}`, Values: ['zimporter'] }] }));
      const importerZones = (importers.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.Placement?.AvailabilityZone, i.State?.Name]);
      expect(importerZones.length).toBeGreaterThan(0);
      expect(importerZones.every(([zone, state]) => zone === 'us-east-1b' && state === 'terminated')).toBe(true);
    }, 300_000);

    it('without the endpoint the preflight names the missing path to S3, and a sync started anyway fails readably and leaves nothing behind', async () => {
      const endpoints = await site.ec2.send(new DescribeVpcEndpointsCommand({}));
      await site.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: endpoints.VpcEndpoints!.map((e) => e.VpcEndpointId!) }));
      const preflight = await doctorOf(site);
      expect(preflight.ok).toBe(false);
      const [noPath] = checksOf(preflight, 'problem').filter((c) => c.check === 'zSAT network');
      expect(noPath.detail).toMatch(
        new RegExp(
          `^us-east-1b: zSATs launch in ${net.subnets['us-east-1b']}, which cannot reach S3: rtb-\\w+ has no S3 gateway endpoint, no route to a NAT gateway and no internet gateway route$`,
        ),
      );
      expect(noPath.fix).toMatch(/add an S3 gateway endpoint on its route table \(config agent\.s3GatewayEndpoint\.routeTableIds creates one\)/);

      // blocks to read, so that the sync launches a zSAT
      await writePattern(site.url, app.volumes[0], { seed: 'nopath', runs: 1, runBlocks: 2, scattered: 1 });
      // the recovered VMs and the checkpoint's snapshots of the test above stay; the failed sync adds nothing to them
      const before = new Set(leftovers(await ownedResources(site.ec2, 'priv'), new Set()));
      const exec = await waitForExecution(site.sfn, await startExecution(site.sfn, site.syncArn(VPG), {}, 'nopath'), { label: 'no path', pollMs: 500 });
      expect(exec.status).toBe('FAILED');
      expect(exec.cause).toMatch(
        /zSAT i-\w+ never reported \(launched [^)]+\): its boot did not reach the agent\. Its console output says how far it got .*lifeboat doctor checks that its subnet reaches S3/,
      );
      expect(leftovers(await ownedResources(site.ec2, 'priv'), new Set()).filter((id) => !before.has(id))).toEqual([]);
    }, 300_000);
  });

  describe('a zone with protected volumes and no configured subnet', () => {
    let site: TestSite;
    beforeAll(async () => {
      site = await deployTestSite(base('gap'), {
        noDefaultVpc: true,
        beforeDeploy: async (cloud) => {
          const net = await privateNetwork(cloud.ec2, ['us-east-1a', 'us-east-1b']);
          // the protected instance runs in us-east-1a; only us-east-1b is configured
          (cloud as { protectedSubnet?: string }).protectedSubnet = net.subnets['us-east-1a'];
          return { agent: { vpcId: net.vpcId, subnetIds: [net.subnets['us-east-1b']], s3GatewayEndpoint: { routeTableIds: net.routeTables } } };
        },
      });
    }, 180_000);
    afterAll(async () => site?.stop());

    it('fails the sync with a cause naming agent.subnetIds and the zone, and leaves nothing behind', async () => {
      const subnetId = (site as unknown as { protectedSubnet: string }).protectedSubnet;
      const app = await createProtectedInstance(site.ec2, { tags: { app: 'gap-app' }, volumeSizesGiB: [1], subnetId });
      await writeVolume(site.url, app.volumes[0].volumeId, 0, seededBytes('gap', 4 * BLOCK_SIZE));
      const preflight = await doctorOf(site);
      expect(checksOf(preflight, 'problem').filter((c) => c.check === 'zSAT subnet')).toEqual([
        expect.objectContaining({
          vpg: VPG,
          detail: 'agent.subnetIds has no subnet in us-east-1a, where volumes to be read or written are (it covers: us-east-1b)',
          fix: 'add a subnet of that zone, routed to S3',
        }),
      ]);
      const arn = await startExecution(site.sfn, site.syncArn(VPG), {}, 'gap');
      const exec = await waitForExecution(site.sfn, arn, { label: 'gap', pollMs: 500 });
      expect(exec.status).toBe('FAILED');
      expect(exec.cause).toMatch(/agent\.subnetIds has no subnet in us-east-1a, where volumes to be read or written are \(it covers: us-east-1b\)/);
      expect(leftovers(await ownedResources(site.ec2, 'gap'), new Set())).toEqual([]);
    }, 300_000);
  });
});
