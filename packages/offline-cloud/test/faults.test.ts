/**
 * Fault injection: the --faults grammar, the seeded RNG, and the interceptor as seen by real SDK clients.
 * The edge here carries minimal EC2-query and EBS-REST services of the test's own, so each fault is
 * observed in the wire shape the SDK parses, independent of the full emulators.
 */
import { CloudClock } from '../src/clock';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EBSClient, ListSnapshotBlocksCommand } from '@aws-sdk/client-ebs';
import { createEdgeHandler, listen, Listening } from '../src/edge';
import type { CloudContext, FaultConfig } from '../src/context';
import type { CloudResponse, Service } from '../src/service';
import { faultConfig, faultInterceptor, parseFaultSpec, restartFaultRandom, seededRandom } from '../src/faults';
import { clientConfig, QUICK_TIMINGS } from '../src/testing';

describe('parseFaultSpec', () => {
  test('reads every key of the grammar', () => {
    expect(parseFaultSpec('throttle=0.2,5xx=0.05,latency=20,consistency=3000,seed=7,services=ec2+ebs')).toEqual({
      throttleRate: 0.2,
      serverErrorRate: 0.05,
      latencyMs: 20,
      consistencyMs: 3000,
      seed: 7,
      services: ['ec2', 'ebs'],
    });
    expect(parseFaultSpec(' throttle = 1 , ')).toEqual({ throttleRate: 1 });
    expect(parseFaultSpec('')).toEqual({});
  });

  test.each([
    ['throttle=1.5', "bad fault spec part 'throttle=1.5': rate must be a number from 0 to 1"],
    ['5xx=-0.1', "bad fault spec part '5xx=-0.1': rate must be a number from 0 to 1"],
    ['throttle=', "bad fault spec part 'throttle=': rate must be a number from 0 to 1"],
    ['latency=2.5', "bad fault spec part 'latency=2.5': must be a whole number of milliseconds"],
    ['consistency=soon', "bad fault spec part 'consistency=soon': must be a whole number of milliseconds"],
    ['seed=x', "bad fault spec part 'seed=x': seed must be an integer"],
    ['services=ec2+EBS', "bad fault spec part 'services=ec2+EBS': services must be SigV4 names"],
    ['services=ec2+s3', "bad fault spec part 'services=ec2+s3': faults cannot apply to s3"],
    ['throttle=0.1,throttle=0.2', "bad fault spec part 'throttle=0.2': 'throttle' given twice"],
    ['jitter=5', "bad fault spec part 'jitter=5': unknown key 'jitter'"],
    ['throttle', "bad fault spec part 'throttle': expected key=value"],
  ])('%s is refused, naming the bad part', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});

test('seededRandom repeats for a seed and differs across seeds', () => {
  const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
  expect(draw(7)).toEqual(draw(7));
  expect(draw(7)).not.toEqual(draw(8));
  expect(draw(7).every((x) => x >= 0 && x < 1)).toBe(true);
});

// ---- the interceptor, observed by SDK clients ----

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const ec2Stub: Service = {
  names: ['ec2'],
  throttleCode: 'RequestLimitExceeded',
  handle: async () => ({
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<DescribeRegionsResponse xmlns="${EC2_NS}"><requestId>r1</requestId><regionInfo><item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item></regionInfo></DescribeRegionsResponse>`,
  }),
  error: (status, code, message): CloudResponse => ({
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r1</RequestID></Response>`,
  }),
};
const ebsStub: Service = {
  names: ['ebs'],
  throttleCode: 'ThrottlingException',
  handle: async () => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Blocks: [], VolumeSize: 1, BlockSize: 524288 }),
  }),
  error: (status, code, message): CloudResponse => ({
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
    body: JSON.stringify({ message }),
  }),
};

let server: Listening;
let faults: FaultConfig;
let counts: Record<string, number>;

beforeAll(async () => {
  faults = faultConfig();
  counts = {};
  const ctx: CloudContext = {
    dataDir: '/nonexistent',
    endpoint: () => server.url,
    region: 'us-east-1',
    accountId: '000000000000',
    faults,
    timings: QUICK_TIMINGS,
    clock: new CloudClock(),
    faultCounts: counts,
    markDirty: () => undefined,
    log: () => undefined,
  };
  server = await listen(createEdgeHandler({ services: [ec2Stub, ebsStub], interceptors: [faultInterceptor(ctx)] }));
});
afterAll(() => server.close());
beforeEach(() => {
  Object.assign(faults, faultConfig());
  for (const k of Object.keys(counts)) delete counts[k];
});

const ec2Client = (maxAttempts?: number) => new EC2Client(clientConfig(server.url, maxAttempts ? { maxAttempts } : {}));
const ebsClient = (maxAttempts?: number) => new EBSClient(clientConfig(server.url, maxAttempts ? { maxAttempts } : {}));
const listBlocks = new ListSnapshotBlocksCommand({ SnapshotId: 'snap-0123456789abcdef0' });

test('throttle=1 on EC2: RequestLimitExceeded (HTTP 503) reaches an SDK client with maxAttempts 1', async () => {
  faults.throttleRate = 1;
  await expect(ec2Client(1).send(new DescribeRegionsCommand({}))).rejects.toMatchObject({
    name: 'RequestLimitExceeded',
    $metadata: { httpStatusCode: 503, attempts: 1 },
  });
  expect(counts).toEqual({ throttle: 1 });
});

test('throttle=1 on EBS: ThrottlingException (HTTP 429)', async () => {
  faults.throttleRate = 1;
  await expect(ebsClient(1).send(listBlocks)).rejects.toMatchObject({
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 429 },
  });
  expect(counts).toEqual({ throttle: 1 });
});

test('5xx=1: InternalError (500) or ServiceUnavailable (503), both seen across a seeded run', async () => {
  faults.serverErrorRate = 1;
  const client = ec2Client(1);
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const err = await client.send(new DescribeRegionsCommand({})).then(
      () => ({ name: 'no error', $metadata: { httpStatusCode: 200 } }),
      (e: { name: string; $metadata: { httpStatusCode: number } }) => e,
    );
    expect(['InternalError:500', 'ServiceUnavailable:503']).toContain(`${err.name}:${err.$metadata.httpStatusCode}`);
    seen.add(err.name);
  }
  expect([...seen].sort()).toEqual(['InternalError', 'ServiceUnavailable']);
  expect(counts).toEqual({ '5xx': 12 });
});

test('latency is added to every request to a faulted service, and counted', async () => {
  faults.latencyMs = 5;
  const out = await ec2Client().send(new DescribeRegionsCommand({}));
  expect(out.Regions?.[0].RegionName).toBe('us-east-1');
  await ebsClient().send(listBlocks);
  expect(counts).toEqual({ latency: 2 });
});

test('services= limits faults to the named services', async () => {
  faults.throttleRate = 1;
  faults.services = ['ebs'];
  const out = await ec2Client(1).send(new DescribeRegionsCommand({}));
  expect(out.Regions).toHaveLength(1);
  await expect(ebsClient(1).send(listBlocks)).rejects.toMatchObject({ name: 'ThrottlingException' });
  expect(counts).toEqual({ throttle: 1 });
});

test("the SDK's own retry rides out throttling at rate 0.5 (seeded), and the run repeats per seed", async () => {
  const run = async () => {
    Object.assign(faults, faultConfig({ throttleRate: 0.5, seed: 42 }));
    restartFaultRandom(faults);
    for (const k of Object.keys(counts)) delete counts[k];
    const client = ec2Client(10);
    let attempts = 0;
    for (let i = 0; i < 4; i++) {
      const out = await client.send(new DescribeRegionsCommand({}));
      expect(out.Regions?.[0].RegionName).toBe('us-east-1');
      attempts += out.$metadata.attempts ?? 0;
    }
    return { attempts, throttled: counts.throttle ?? 0 };
  };
  const first = await run();
  expect(first.throttled).toBeGreaterThan(0);
  expect(first.attempts).toBe(4 + first.throttled);
  expect(await run()).toEqual(first);
});
