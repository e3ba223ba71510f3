/**
 * agent/importer.instanceTypes end to end on the offline cloud: where the zones do not offer the preferred type
 * (EC2 answers Unsupported), the zSATs and ZImporters launch the next type, the sync reads exactly the written
 * blocks and the failback writes them back byte for byte; where no listed type is offered, the sync fails with a
 * cause naming each type and EC2's reason, and leaves nothing of its own behind.
 */
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { INSTANCE_VCPUS } from '@lifeboat/offline-cloud/src/aws-rates';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { TAG } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { captureVolumeImage } from '../../bin/demo/verify';
import { runSync } from '../../bin/demo/run-sync';
import { runFailback } from '../../bin/demo/run-failback';
import { leftovers, ownedResources } from '../../bin/demo/inventory';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { recoveredCopyOf } from '../helpers/recovered';
import { checksOf, doctorOf } from '../helpers/doctor';

const SITE = 'types';
const VPG = 'app';
const TYPES = ['c6i.large', 'm6i.large'];
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'types-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  agent: { instanceTypes: TYPES },
  importer: { instanceTypes: TYPES },
  pollSeconds: 5,
};

let site: TestSite;
let app: ProtectedInstance;

/** Every zone offers every type but these. */
function withhold(types: readonly string[]): void {
  for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
    site.cloud.ec2.setInstanceTypeOfferings(
      zone,
      Object.keys(INSTANCE_VCPUS).filter((t) => !types.includes(t)),
    );
  }
}

async function instancesOf(role: string) {
  const out = await site.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${TAG.role}`, Values: [role] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

beforeAll(async () => {
  site = await deployTestSite(config);
  app = await createProtectedInstance(site.ec2, { tags: { app: 'types-app' }, volumeSizesGiB: [1] });
  await writeVolume(site.url, app.volumes[0].volumeId, 0, seededBytes('types', 10 * BLOCK_SIZE));
}, 180_000);
afterAll(async () => site?.stop());

it('launches the next listed type where the preferred one is not offered, syncs and fails back byte for byte', async () => {
  withhold(['c6i.large']);
  const preflight = await doctorOf(site);
  expect(checksOf(preflight, 'problem')).toEqual([]);
  expect(
    checksOf(preflight, 'warning')
      .filter((c) => c.check.endsWith('types'))
      .map((c) => [c.check, c.detail]),
  ).toEqual([
    ['zSAT types', expect.stringMatching(/^us-east-1\w does not offer c6i\.large; zSATs there fall back to m6i\.large$/)],
    ['ZImporter types', expect.stringMatching(/^us-east-1\w does not offer c6i\.large; ZImporters there fall back to m6i\.large$/)],
  ]);
  const [data] = app.volumes;
  const expected = await captureVolumeImage(site.url, data);
  const sync = await runSync(site.sfn, site.syncArn(VPG), 'sync');
  const cp = await (await site.store(VPG)).getCheckpoint(VPG, sync.checkpointId);
  expect(cp!.volumes.find((v) => v.sourceVolumeId === data.volumeId)!.blocksRead).toBe(10);
  expect((await instancesOf('zsat')).map((i) => i.InstanceType)).toEqual(['m6i.large']);

  const out = await runFailback(site.sfn, site.failbackArn(VPG), { checkpoint: sync.checkpointId });
  expect((await instancesOf('zimporter')).map((i) => i.InstanceType)).toEqual(['m6i.large']);
  const recovered = await recoveredCopyOf(site.ec2, out.recoveredInstances[0].instanceId, { instanceId: app.instanceId, volumeId: data.volumeId });
  expect((await captureVolumeImage(site.url, { volumeId: recovered, sizeBytes: expected.sizeBytes })).sha256).toBe(expected.sha256);
}, 300_000);

it('fails the sync naming every listed type and why when none is offered, and leaves nothing behind', async () => {
  withhold(TYPES);
  const preflight = await doctorOf(site);
  expect(checksOf(preflight, 'problem').filter((c) => c.check === 'zSAT types')).toEqual([
    expect.objectContaining({
      detail: expect.stringMatching(/^us-east-1\w offers none of c6i\.large, m6i\.large$/),
      fix: expect.stringContaining('to agent.instanceTypes'),
    }),
  ]);
  // blocks to read, so that the sync launches a zSAT
  await writeVolume(site.url, app.volumes[0].volumeId, 20 * BLOCK_SIZE, seededBytes('types-2', 2 * BLOCK_SIZE));
  const before = await ownedResources(site.ec2, SITE);
  const arn = await startExecution(site.sfn, site.syncArn(VPG), {}, 'none-offered');
  const exec = await waitForExecution(site.sfn, arn, { label: 'none offered', pollMs: 500 });
  expect(exec.status).toBe('FAILED');
  expect(exec.cause).toMatch(/no instance type of 2 could launch \(1\. c6i\.large: RunInstances: Unsupported: .* 2\. m6i\.large: RunInstances: Unsupported: /);
  const after = await ownedResources(site.ec2, SITE);
  // what the failback recovered and the base snapshot stay; nothing of this sync does
  expect(leftovers(after, new Set(before.snapshots))).toEqual(leftovers(before, new Set(before.snapshots)));
}, 300_000);
