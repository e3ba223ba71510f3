/**
 * Lifeboat's EC2 adapter when EC2 refuses a launch (the offline cloud answers as EC2 does): VcpuLimitExceeded,
 * Unsupported and InsufficientInstanceCapacity become CapacityUnavailable, a failure the sync shows with
 * EC2's own words (type, zone, quota) and what the operator can change; nothing is launched. A full quota
 * is QuotaFull, which the step retries while the other workers end and free their vCPUs.
 */
import { CreateLaunchTemplateCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { Ec2Adapter, makeEc2Client } from '../../runtime/aws/ec2-adapter';
import { CapacityUnavailable, QuotaFull } from '../../runtime/core/errors';
import { TRANSIENT_ERRORS } from '../../lib/lambda-task';
import { DEFAULT_IMAGE_ID } from '@lifeboat/offline-cloud/src/ec2/images';
import { clientConfig, startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function launcher(opts: Parameters<typeof startTestCloud>[0] = {}) {
  t = await startTestCloud(opts);
  const lt = await t.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'lifeboat-site-a-zsat',
      LaunchTemplateData: { ImageId: DEFAULT_IMAGE_ID, InstanceType: 'c6i.large' },
    }),
  );
  const adapter = new Ec2Adapter(makeEc2Client(clientConfig(t.url)));
  const subnetId = (await adapter.defaultSubnet('us-east-1b'))!;
  const launch = (clientToken: string) =>
    adapter.runInstance({
      launchTemplateId: lt.LaunchTemplate!.LaunchTemplateId!,
      subnetId,
      clientToken,
      instanceTags: {},
      volumeTags: {},
      networkInterfaceTags: {},
    });
  return { launch };
}

async function refusal(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the launch to be refused');
}

async function instanceCount(): Promise<number> {
  const out = await t!.ec2.send(new DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
}

test('a full vCPU quota: QuotaFull (a CapacityUnavailable the launching step retries) naming the quota, its code and the config knobs', async () => {
  const { launch } = await launcher({ vcpuQuota: 3 }); // one c6i.large (2 vCPUs) fits, a second does not
  await launch('zsat-0');
  const err = await refusal(launch('zsat-1'));
  expect(err).toBeInstanceOf(CapacityUnavailable);
  expect(err).toBeInstanceOf(QuotaFull);
  expect(err.name).toBe('QuotaFull');
  expect(TRANSIENT_ERRORS).toContain('QuotaFull'); // every Lambda step retries it with back-off
  expect(err.message).toContain('RunInstances: VcpuLimitExceeded');
  expect(err.message).toContain('current vCPU limit of 3');
  expect(err.message).toContain('L-1216C47A');
  expect(err.message).toContain('agent.maxZsats');
  expect(await instanceCount()).toBe(1);
});

test("a type the subnet's zone does not offer: CapacityUnavailable naming the type and zone", async () => {
  const { launch } = await launcher();
  t!.cloud.ec2.setInstanceTypeOfferings('us-east-1b', ['t3.micro']);
  const err = await refusal(launch('zsat-0'));
  expect(err).toBeInstanceOf(CapacityUnavailable);
  expect(err.name).toBe('CapacityUnavailable'); // waiting does not help: not retried
  expect(err.message).toContain('Your requested instance type (c6i.large) is not supported in your requested Availability Zone (us-east-1b)');
  expect(err.message).toContain('agent.instanceType');
  expect(await instanceCount()).toBe(0);
});

test('no capacity in the zone (after the SDK retried the 500s): CapacityUnavailable naming the type and zone', async () => {
  const { launch } = await launcher({ faults: { insufficientCapacityRate: 1 } });
  const err = await refusal(launch('zsat-0'));
  expect(err).toBeInstanceOf(CapacityUnavailable);
  expect(err.message).toContain('sufficient c6i.large capacity in the Availability Zone you requested (us-east-1b)');
  // the adapter's standard retries: 10 attempts in all, each refused for capacity (or, at the burst's end, by
  // RunInstances' request-rate bucket, which is retried the same way)
  expect(t!.cloud.requestCounts['ec2:RunInstances']).toBe(10);
  expect(t!.cloud.faultCounts.capacity).toBeGreaterThanOrEqual(9);
  expect(await instanceCount()).toBe(0);
});
