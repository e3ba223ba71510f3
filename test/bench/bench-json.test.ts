/** The benchmark's pure parts: cost arithmetic, ratios, the JSON's fixed keys, the request counter's naming. */
import { awsTransitions } from './sync.bench';
import { awsPollsPerSync } from './aws-polls';
import { URLSearchParams } from 'node:url';
import {
  DRS_ASSUMPTIONS,
  HOURS_PER_MONTH,
  ISSUE_WORKLOAD,
  changedBytesPerSync,
  drsMonthly,
  lifeboatMonthly,
  syncsPerMonth,
  type PerSyncCounts,
} from './cost-model';
import { mibPerSecond, ratio, summarize } from './figures';
import { benchJson, REQUIRED_KEYS } from './report';
import { ebsOperation, operationOf, totalsByService } from '@lifeboat/offline-cloud/src/request-counter';

const counts: PerSyncCounts = {
  transitions: 30,
  lambdaInvocations: 8,
  lambdaSecondsEach: 1,
  lambdaMemoryGb: 0.5,
  zsats: 1,
  zsatBootSeconds: 45,
  readMiBs: 150,
  s3Puts: 20,
  s3Gets: 10,
  ebsListCalls: 2,
  ebsGetCalls: 0,
  storedVsRead: 1,
};

describe('cost model', () => {
  it('prices the issue workload line by line', () => {
    expect(syncsPerMonth(ISSUE_WORKLOAD)).toBe(2920);
    // 10 GiB a day over 96 syncs
    expect(changedBytesPerSync(ISSUE_WORKLOAD)).toBeCloseTo((200 * 1024 ** 3 * 0.05) / 96, 0);
    const sheet = lifeboatMonthly(ISSUE_WORKLOAD, counts);
    const line = (item: string) => sheet.lines.find((l) => l.item.startsWith(item))!.usd;
    expect(line('Step Functions')).toBeCloseTo(30 * 2920 * 0.000025, 6);
    // 106.7 MiB at 150 MiB/s + 45 s boot = 45.7 s → billed the 60 s minimum
    expect(line('EC2 zSAT')).toBeCloseTo(2920 * (60 / 3600) * 0.085, 6);
    expect(line('EBS snapshots')).toBeCloseTo(200 * 0.05, 6);
    expect(line('S3 storage')).toBeCloseTo((200 + 10) * 0.023, 6);
    expect(line('S3 requests')).toBeCloseTo(2920 * (20 * 0.000005 + 10 * 0.0000004), 9);
    expect(sheet.totalUsd).toBeCloseTo(
      sheet.lines.reduce((s, l) => s + l.usd, 0),
      9,
    );
  });

  it('prices DRS with its fee, a shared replication server, staging volumes and snapshots', () => {
    const drs = drsMonthly(ISSUE_WORKLOAD, DRS_ASSUMPTIONS);
    expect(drs.lines.map((l) => l.usd)).toEqual([
      expect.closeTo(HOURS_PER_MONTH * 0.028, 6),
      expect.closeTo((HOURS_PER_MONTH * 0.0208) / 15, 6),
      expect.closeTo(200 * 0.08, 6),
      expect.closeTo((200 + 7 * 10) * 0.05, 6),
    ]);
  });
});

describe('figures', () => {
  it('computes rates, samples and ratios', () => {
    expect(mibPerSecond(512 * 1024 * 1024, 2)).toBe(256);
    expect(() => mibPerSecond(1, 0)).toThrow();
    expect(summarize([3, 1, 2])).toEqual({ best: 3, median: 2, worst: 1, runs: 3 });
    expect(summarize([4, 1])).toEqual({ best: 4, median: 2.5, worst: 1, runs: 2 });
    expect(ratio(1200, 800)).toBe(1.5);
    expect(ratio(1, 3)).toBe(0.33);
  });

  it("replaces the offline run's poll cycles with AWS's (3 transitions each)", () => {
    // 40 measured with 6 polls: 22 without them, + 3 × (2 snapshot polls + 5 per zSAT × 2 zSATs)
    expect(awsTransitions(40, 6, 2 + 5 * 2)).toBe(22 + 3 * 12);
  });

  it("counts the polls AWS's times give, through the real handlers on a virtual clock", async () => {
    // A small delta, on the offline cloud's AWS times (16 s to running, 10 s more to the user data): the 1-minute
    // snapshots are checked at 30 s and at their end; the zSAT while pending, once to attach its volumes, once
    // while its guest boots, once its agent has started, once done.
    expect(await awsPollsPerSync(1)).toEqual({ snapshots: 2, perZsat: 5 });
    // A 10-minute read costs a few more polls, not one per 5 s.
    const long = await awsPollsPerSync(600);
    expect(long.perZsat).toBeGreaterThan(6);
    expect(long.perZsat).toBeLessThan(20);
  });

  it('writes every fixed key, with ratios from the measured figures', () => {
    const sheet = lifeboatMonthly(ISSUE_WORKLOAD, counts);
    const json = benchJson({
      readMiBs: 1300,
      importMiBs: 1250,
      opensslMiBs: 800,
      blocksRead: 120,
      blocksChanged: 120,
      bytesStored: 90,
      bytesRead: 100,
      transitionsPerSync: { '1': 31, '10': 95 },
      scaleOutSeconds: { '1': 80, '4': 25, '16': 10 },
      lifeboat: sheet,
      drs: drsMonthly(ISSUE_WORKLOAD, DRS_ASSUMPTIONS),
    });
    for (const key of REQUIRED_KEYS) expect(json).toHaveProperty(key);
    expect(json.agentVsOpenssl).toBe(1.63);
    expect(json.importVsOpenssl).toBe(1.56);
    expect(json.incrementalReadRatio).toBe(1);
    expect(json.storedVsReadRatio).toBe(0.9);
    expect(json.scaleOut16vs1).toBe(8);
    expect(json.costPerServerMonthUsd).toBe(Math.round(sheet.totalUsd * 100) / 100);
    expect(JSON.parse(JSON.stringify(json)).transitionsPerSync).toEqual({ '1': 31, '10': 95 });
  });
});

describe('request counter naming', () => {
  const req = (service: string, method: string, path: string, query = '', body = '', headers: Record<string, string> = {}) => ({
    service,
    method,
    path,
    query: new URLSearchParams(query),
    headers,
    body: Buffer.from(body),
  });

  it('names EC2 query actions, EBS REST operations and JSON targets', () => {
    expect(operationOf(req('ec2', 'POST', '/', '', 'Action=RunInstances&Version=2016-11-15'))).toBe('RunInstances');
    expect(operationOf(req('ec2', 'GET', '/', 'Action=DescribeVolumes'))).toBe('DescribeVolumes');
    expect(operationOf(req('states', 'POST', '/', '', '{}', { 'x-amz-target': 'AWSStepFunctions.StartExecution' }))).toBe('StartExecution');
    expect(ebsOperation('GET', '/snapshots/snap-1/changedblocks')).toBe('ListChangedBlocks');
    expect(ebsOperation('GET', '/snapshots/snap-1/blocks')).toBe('ListSnapshotBlocks');
    expect(ebsOperation('GET', '/snapshots/snap-1/blocks/7')).toBe('GetSnapshotBlock');
    expect(ebsOperation('PUT', '/snapshots/snap-1/blocks/7')).toBe('PutSnapshotBlock');
    expect(totalsByService({ 'ec2:RunInstances': 2, 'ec2:DescribeVolumes': 3, 'ebs:ListChangedBlocks': 1 })).toEqual({ ec2: 5, ebs: 1 });
  });
});
