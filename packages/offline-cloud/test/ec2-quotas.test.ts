/**
 * EC2 quotas and capacity through the real SDK: the On-Demand Standard vCPU quota (VcpuLimitExceeded),
 * instance types offered per zone (Unsupported, DescribeInstanceTypeOfferings), the capacity fault
 * (InsufficientInstanceCapacity) and the RunInstances request bucket (RequestLimitExceeded).
 */
import {
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DEFAULT_LIMITS, DEFAULT_VCPU_QUOTA } from '../src/aws-rates';
import { parseFaultSpec } from '../src/faults';
import { DEFAULT_IMAGE_ID } from '../src/ec2/images';
import { clientConfig, startTestCloud, type TestCloud } from '../src/testing';
import { refusal } from './helpers/refusal';
import { pollUntil } from './helpers/ec2-harness';

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A client that does not retry, so each refusal is seen as EC2 answered it. */
const once = (url: string) => new EC2Client(clientConfig(url, { maxAttempts: 1 }));
const run = (type: string, extra: Record<string, unknown> = {}) =>
  new RunInstancesCommand({ ImageId: DEFAULT_IMAGE_ID, InstanceType: type as never, MinCount: 1, MaxCount: 1, ...extra });

async function liveInstances(ec2: EC2Client): Promise<string[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
}

test("a new account's default quota is 5 vCPUs of Running On-Demand Standard instances, counted over pending and running ones", async () => {
  expect(DEFAULT_VCPU_QUOTA).toBe(5);
  t = await startTestCloud();
  const ec2 = once(t.url);
  await ec2.send(run('t3.micro'));
  await ec2.send(run('c6i.large'));
  const past = await refusal(ec2.send(run('t3.micro')));
  expect(past).toMatchObject({ name: 'VcpuLimitExceeded', status: 400 });
  expect(past.message).toContain('current vCPU limit of 5 allows');
  expect(await liveInstances(ec2)).toHaveLength(2);
  const small = await ec2.send(run('m1.small')); // 1 vCPU still fits: 2 + 2 + 1 = 5
  expect(small.Instances).toHaveLength(1);
  expect((await refusal(ec2.send(run('m1.small')))).name).toBe('VcpuLimitExceeded');

  // a terminated instance no longer counts (six RunInstances have emptied its bucket of 5: a retrying client rides it out)
  const patient = new EC2Client(clientConfig(t.url, { maxAttempts: 10 }));
  await patient.send(new TerminateInstancesCommand({ InstanceIds: [small.Instances![0].InstanceId!] }));
  await pollUntil(() => (t!.cloud.ec2.instanceMetadata(small.Instances![0].InstanceId!)?.state === 'terminated' ? true : undefined), 'terminated');
  expect((await patient.send(run('m1.small'))).Instances).toHaveLength(1);
  ec2.destroy();
  patient.destroy();
});

test('RunInstances launches as many of MaxCount as the quota leaves, never fewer than MinCount', async () => {
  t = await startTestCloud({ vcpuQuota: 8 });
  const ec2 = once(t.url);
  const out = await ec2.send(run('t3.micro', { MinCount: 1, MaxCount: 10 }));
  expect(out.Instances).toHaveLength(4);
  expect((await refusal(ec2.send(run('t3.micro', { MinCount: 1, MaxCount: 3 })))).name).toBe('VcpuLimitExceeded');
  ec2.destroy();
});

test('--vcpu-quota N sets the quota: 0 refuses every Standard instance; the flag takes whole numbers only', async () => {
  t = await startTestCloud({ vcpuQuota: 0 });
  const ec2 = once(t.url);
  expect((await refusal(ec2.send(run('m1.small')))).message).toContain('vCPU limit of 0');
  ec2.destroy();
});

test('an instance type EC2 does not know is InvalidParameterValue', async () => {
  t = await startTestCloud();
  const ec2 = once(t.url);
  expect(await refusal(ec2.send(run('q9.huge')))).toMatchObject({ name: 'InvalidParameterValue', message: "Invalid value 'q9.huge' for InstanceType." });
  ec2.destroy();
});

test("a type the subnet's zone does not offer is Unsupported, naming the zones that do; DescribeInstanceTypeOfferings shows the table", async () => {
  t = await startTestCloud();
  t.cloud.ec2.setInstanceTypeOfferings('us-east-1b', ['t3.micro', 'm5.large']);
  const ec2 = once(t.url);
  const refused = await refusal(ec2.send(run('c6i.large', { Placement: { AvailabilityZone: 'us-east-1b' } })));
  expect(refused).toMatchObject({ name: 'Unsupported', status: 400 });
  expect(refused.message).toBe(
    'Your requested instance type (c6i.large) is not supported in your requested Availability Zone (us-east-1b). ' +
      'Please retry your request by not specifying an Availability Zone or choosing us-east-1a, us-east-1c.',
  );
  expect(await liveInstances(ec2)).toEqual([]);
  expect((await ec2.send(run('t3.micro', { Placement: { AvailabilityZone: 'us-east-1b' } }))).Instances).toHaveLength(1);

  const inZone = await ec2.send(
    new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', Filters: [{ Name: 'location', Values: ['us-east-1b'] }] }),
  );
  expect(inZone.InstanceTypeOfferings!.map((o) => o.InstanceType).sort()).toEqual(['m5.large', 't3.micro']);
  expect(inZone.InstanceTypeOfferings![0]).toMatchObject({ LocationType: 'availability-zone', Location: 'us-east-1b' });
  const c6i = await ec2.send(
    new DescribeInstanceTypeOfferingsCommand({ LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: ['c6i.large'] }] }),
  );
  expect(c6i.InstanceTypeOfferings!.map((o) => o.Location)).toEqual(['us-east-1a', 'us-east-1c']);
  const region = await ec2.send(new DescribeInstanceTypeOfferingsCommand({ Filters: [{ Name: 'instance-type', Values: ['c6i.*'] }] }));
  expect(region.InstanceTypeOfferings!.every((o) => o.LocationType === 'region' && o.Location === 'us-east-1')).toBe(true);
  expect(region.InstanceTypeOfferings!.map((o) => o.InstanceType)).toContain('c6i.large');

  t.cloud.ec2.setInstanceTypeOfferings('us-east-1b', undefined);
  expect((await ec2.send(run('c6i.large', { Placement: { AvailabilityZone: 'us-east-1b' } }))).Instances).toHaveLength(1);
  ec2.destroy();
});

test('the capacity fault answers InsufficientInstanceCapacity (HTTP 500, AWS message) and launches nothing; off again, launches work', async () => {
  expect(parseFaultSpec('capacity=1')).toEqual({ insufficientCapacityRate: 1 });
  t = await startTestCloud();
  const put = (body: unknown) => fetch(`${t!.url}/_lifeboat/faults`, { method: 'PUT', body: JSON.stringify(body) });
  expect((await put({ insufficientCapacityRate: 1 })).status).toBe(200);
  const ec2 = once(t.url);
  const refused = await refusal(ec2.send(run('c6i.large', { Placement: { AvailabilityZone: 'us-east-1a' } })));
  expect(refused).toMatchObject({ name: 'InsufficientInstanceCapacity', status: 500 });
  expect(refused.message).toBe(
    'We currently do not have sufficient c6i.large capacity in the Availability Zone you requested (us-east-1a). Our system will be ' +
      'working on provisioning additional capacity. You can currently get c6i.large capacity by not specifying an Availability Zone ' +
      'in your request or choosing us-east-1b, us-east-1c.',
  );
  expect(t.cloud.faultCounts.capacity).toBe(1);
  expect(await liveInstances(ec2)).toEqual([]);
  expect((await put({ insufficientCapacityRate: 0 })).status).toBe(200);
  expect((await ec2.send(run('c6i.large'))).Instances).toHaveLength(1);
  ec2.destroy();
});

test('RunInstances past its request bucket is RequestLimitExceeded (HTTP 503); the default bucket is 5, refilled at 2 per second', async () => {
  expect(DEFAULT_LIMITS.ec2Rates.RunInstances).toEqual({ burst: 5, perSecond: 2 });
  // a bucket that does not refill within the test, so the refusal is certain
  t = await startTestCloud({ vcpuQuota: 100, limits: { ec2Rates: { RunInstances: { burst: 2, perSecond: 0.001 } } } });
  const ec2 = once(t.url);
  await ec2.send(run('t3.micro'));
  await ec2.send(run('t3.micro'));
  expect(await refusal(ec2.send(run('t3.micro')))).toMatchObject({ name: 'RequestLimitExceeded', status: 503 });
  expect(await liveInstances(ec2)).toHaveLength(2);
  ec2.destroy();
});

test('DescribeInstanceTypes gives the vCPUs and architectures a caller sizes capacity by; an unknown type is InvalidInstanceType', async () => {
  t = await startTestCloud();
  const ec2 = once(t.url);
  const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['c6i.large', 'm7g.large', 't2.micro'] }));
  const byType = Object.fromEntries((out.InstanceTypes ?? []).map((i) => [i.InstanceType, i]));
  expect(byType['c6i.large']).toMatchObject({ VCpuInfo: { DefaultVCpus: 2 }, ProcessorInfo: { SupportedArchitectures: ['x86_64'] } });
  expect(byType['m7g.large']).toMatchObject({ VCpuInfo: { DefaultVCpus: 2 }, ProcessorInfo: { SupportedArchitectures: ['arm64'] } });
  expect(byType['t2.micro'].ProcessorInfo!.SupportedArchitectures).toEqual(['i386', 'x86_64']);
  const arm = await ec2.send(new DescribeInstanceTypesCommand({ Filters: [{ Name: 'processor-info.supported-architecture', Values: ['arm64'] }] }));
  expect(arm.InstanceTypes!.map((i) => i.InstanceType).sort()).toEqual(['c6g.large', 'c7g.large', 'm7g.large', 't4g.micro', 't4g.small']);
  expect(await refusal(ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['c6i.large', 'x9.huge' as never] })))).toMatchObject({
    name: 'InvalidInstanceType',
    status: 400,
  });
  ec2.destroy();
});
