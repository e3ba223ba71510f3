/**
 * A vCPU quota too small for a VPG's zSATs, end to end on the offline cloud: the preflight reads the quota through
 * Service Quotas, sizes the zSATs with DescribeInstanceTypes and fails naming the quota code and the fix; a sync
 * started anyway fails with a cause naming the quota, and leaves nothing behind.
 */
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { createProtectedInstance, seededBytes, writeVolume } from '../../bin/demo/workload';
import { leftovers, ownedResources } from '../../bin/demo/inventory';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { checksOf, doctorOf } from '../helpers/doctor';

const SITE = 'quota';
const VPG = 'app';

let site: TestSite;
beforeAll(async () => {
  // one vCPU: room for the protected t2.micro, none for a c6i.large zSAT
  site = await deployTestSite(
    { siteId: SITE, vpgs: [{ name: VPG, instances: { tags: { app: 'quota-app' } }, syncIntervalMinutes: 60, journalHours: 24 }], pollSeconds: 5 },
    { vcpuQuota: 1 },
  );
}, 180_000);
afterAll(async () => site?.stop());

it('fails the preflight naming the quota and the fix, and a sync started anyway fails naming the quota and leaves nothing behind', async () => {
  const app = await createProtectedInstance(site.ec2, { tags: { app: 'quota-app' }, volumeSizesGiB: [1], instanceType: 't2.micro' });
  await writeVolume(site.url, app.volumes[0].volumeId, 0, seededBytes('quota', 4 * BLOCK_SIZE));

  const preflight = await doctorOf(site);
  expect(preflight.ok).toBe(false);
  expect(checksOf(preflight, 'problem')).toEqual([
    {
      vpg: VPG,
      check: 'vcpu-quota',
      status: 'problem',
      detail:
        "one zSAT of c6i.large needs 2 vCPUs, over the account's quota of 1 vCPUs of Running On-Demand Standard instances (L-1216C47A): no zSAT can launch",
      fix: 'request L-1216C47A of at least 3 in Service Quotas, or list a smaller type first in agent.instanceTypes',
    },
  ]);

  const before = await ownedResources(site.ec2, SITE);
  const exec = await waitForExecution(site.sfn, await startExecution(site.sfn, site.syncArn(VPG), {}, 'quota'), { label: 'quota', pollMs: 500 });
  expect(exec.status).toBe('FAILED');
  // Plan reads the quota and fails before a volume or an instance exists (runtime/core/sync/vcpu-quota.ts)
  expect(exec.cause).toMatch(
    /VcpuLimitExceeded: one zSAT of c6i\.large needs 2 vCPUs, more than the account's quota of 1 vCPUs .*Ask for a higher quota \(Service Quotas, EC2 quota L-1216C47A\)/,
  );
  const after = await ownedResources(site.ec2, SITE);
  expect(leftovers(after, new Set())).toEqual(leftovers(before, new Set()));
}, 300_000);
