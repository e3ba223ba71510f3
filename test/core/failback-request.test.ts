import { effectiveTarget, FailbackInputError, nearestCheckpoints, parseFailbackRequest, resolveCheckpoint } from '../../runtime/core/failback/failback-request';
import type { CheckpointSummary } from '../../runtime/core/store/port';

const cp = (id: string, createdAt: string): CheckpointSummary => ({ id, createdAt, parentId: null, volumes: [] });
const CPS = [
  cp('cp-20260101T100000Z-aaaa1111', '2026-01-01T10:00:00.000Z'),
  cp('cp-20260101T110000Z-bbbb2222', '2026-01-01T11:00:00.000Z'),
  cp('cp-20260101T120000Z-cccc3333', '2026-01-01T12:00:00.000Z'),
  cp('cp-20260101T130000Z-dddd4444', '2026-01-01T13:00:00.000Z'),
];

function causeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FailbackInputError);
    expect((err as Error).name).toBe('InvalidFailbackInput');
    return (err as Error).message;
  }
  throw new Error('expected a FailbackInputError');
}

describe('parseFailbackRequest', () => {
  it('defaults to the latest checkpoint in test mode', () => {
    expect(parseFailbackRequest({})).toEqual({ checkpoint: 'latest', mode: 'test' });
    expect(parseFailbackRequest(undefined)).toEqual({ checkpoint: 'latest', mode: 'test' });
  });

  it("runs the console's pre-filled input as {} would; a string Comment is a note beside real fields, anything else unknown is refused", () => {
    expect(parseFailbackRequest({ Comment: 'Insert your JSON here' })).toEqual({ checkpoint: 'latest', mode: 'test' });
    expect(parseFailbackRequest({ Comment: 'drill for the audit', mode: 'test', checkpoint: 'cp-x' })).toEqual({ checkpoint: 'cp-x', mode: 'test' });
    expect(causeOf(() => parseFailbackRequest({ Comment: 7 }))).toBe(
      'invalid failback input: Comment: is not a known field; allowed: checkpoint, mode, target',
    );
    expect(causeOf(() => parseFailbackRequest({ Comment: 'Insert your JSON here', colour: 'blue' }))).toBe(
      'invalid failback input: colour: is not a known field; allowed: checkpoint, mode, target',
    );
    expect(causeOf(() => parseFailbackRequest({ target: { Comment: 'x' } }))).toMatch(/target\.Comment: is not a known field/);
  });

  it('keeps a full request', () => {
    const req = { checkpoint: 'cp-x', mode: 'live', target: { subnetId: 'subnet-0123456789abcdef0', privateIps: { 'i-0123456789abcdef0': '10.0.0.5' } } };
    expect(parseFailbackRequest(req)).toEqual(req);
  });

  it('takes the three modes, failover with any checkpoint as test does', () => {
    expect(parseFailbackRequest({ mode: 'failover', checkpoint: '2026-01-01T12:00:00Z' })).toEqual({ mode: 'failover', checkpoint: '2026-01-01T12:00:00Z' });
    expect(parseFailbackRequest({ mode: 'live' })).toEqual({ mode: 'live', checkpoint: 'latest' });
  });

  it('names an unknown mode and what is allowed', () => {
    expect(causeOf(() => parseFailbackRequest({ mode: 'prod' }))).toBe(
      'invalid failback input: mode: must be "test" (a DR drill, source untouched), "live" (stop the source, final sync, recover) or "failover" (a disaster: the protected side is not touched, the VMs are kept) (got "prod")',
    );
  });

  it('names extra fields, top level and in target', () => {
    expect(causeOf(() => parseFailbackRequest({ mode: 'test', colour: 'blue' }))).toBe(
      'invalid failback input: colour: is not a known field; allowed: checkpoint, mode, target',
    );
    expect(causeOf(() => parseFailbackRequest({ target: { subnet: 'x' } }))).toBe(
      'invalid failback input: target.subnet: is not a known field; allowed: subnetId, securityGroupIds, instanceType, privateIps',
    );
  });

  it('names malformed target values', () => {
    expect(causeOf(() => parseFailbackRequest({ target: { subnetId: 'sub-1', privateIps: { 'i-0123456789abcdef0': 'ten' } } }))).toMatch(
      /target\.subnetId: must be a subnet id such as "subnet-0123456789abcdef0" \(got "sub-1"\); target\.privateIps\.i-0123456789abcdef0: must be an IPv4 address/,
    );
    expect(causeOf(() => parseFailbackRequest('latest'))).toMatch(/\(input\): must be a JSON object/);
    expect(causeOf(() => parseFailbackRequest({ checkpoint: 5 }))).toMatch(/checkpoint: must be "latest", a checkpoint id .* \(got 5\)/);
  });
});

describe('resolveCheckpoint', () => {
  it('latest is the newest', () => {
    expect(resolveCheckpoint('latest', CPS, 'app').id).toBe(CPS[3].id);
  });

  it('an id is that checkpoint', () => {
    expect(resolveCheckpoint(CPS[1].id, CPS, 'app')).toBe(CPS[1]);
  });

  it('a time is the last checkpoint at or before it', () => {
    expect(resolveCheckpoint('2026-01-01T12:00:00Z', CPS, 'app').id).toBe(CPS[2].id);
    expect(resolveCheckpoint('2026-01-01T12:59:59.999Z', CPS, 'app').id).toBe(CPS[2].id);
    expect(resolveCheckpoint('2026-01-01T14:00:00+01:00', CPS, 'app').id).toBe(CPS[3].id);
    expect(resolveCheckpoint('2027-01-01', CPS, 'app').id).toBe(CPS[3].id);
  });

  it('a time before the first checkpoint says when the first was taken', () => {
    expect(causeOf(() => resolveCheckpoint('2026-01-01T09:59:59Z', CPS, 'app'))).toBe(
      'checkpoint: 2026-01-01T09:59:59Z is before the first checkpoint of VPG app, cp-20260101T100000Z-aaaa1111 taken at 2026-01-01T10:00:00.000Z; give that time or later',
    );
  });

  it('an unknown id lists the nearest checkpoints before and after it', () => {
    expect(causeOf(() => resolveCheckpoint('cp-20260101T113000Z-zzzz9999', CPS, 'app'))).toBe(
      'checkpoint: cp-20260101T113000Z-zzzz9999 is not a committed checkpoint of VPG app; nearest before: ' +
        'cp-20260101T100000Z-aaaa1111 (2026-01-01T10:00:00.000Z), cp-20260101T110000Z-bbbb2222 (2026-01-01T11:00:00.000Z); ' +
        'after: cp-20260101T120000Z-cccc3333 (2026-01-01T12:00:00.000Z), cp-20260101T130000Z-dddd4444 (2026-01-01T13:00:00.000Z)',
    );
    expect(causeOf(() => resolveCheckpoint('cp-garbage', CPS, 'app'))).toMatch(
      /cp-garbage is not a committed checkpoint of VPG app; latest: cp-20260101T110000Z/,
    );
  });

  it('neither an id nor a time is refused with the allowed forms', () => {
    expect(causeOf(() => resolveCheckpoint('yesterday', CPS, 'app'))).toMatch(
      /checkpoint: must be "latest", a checkpoint id \(cp-…\) or an ISO time .*\(got "yesterday"\)/,
    );
  });

  it('a VPG without checkpoints says so', () => {
    expect(causeOf(() => resolveCheckpoint('latest', [], 'app'))).toBe('checkpoint: VPG app has no committed checkpoint yet; run a sync first');
  });

  it('nearestCheckpoints lists at most three on each side', () => {
    expect(nearestCheckpoints(CPS, Date.parse('2030-01-01'))).toBe(
      `before: ${CPS.slice(1)
        .map((c) => `${c.id} (${c.createdAt})`)
        .join(', ')}`,
    );
  });
});

describe('effectiveTarget', () => {
  const recovery = {
    subnetId: 'subnet-aaaaaaaa',
    securityGroupIds: ['sg-aaaaaaaa'],
    instanceType: 'm5.large',
    privateIps: { 'i-aaaaaaaa': '10.0.0.1', 'i-bbbbbbbb': '10.0.0.2' },
    maxImporters: 1,
    volumesPerImporter: 1,
  };

  it('is the recovery mapping without overrides (the instance type is not forced: the source type wins)', () => {
    expect(effectiveTarget(recovery, undefined)).toEqual({ subnetId: 'subnet-aaaaaaaa', securityGroupIds: ['sg-aaaaaaaa'], privateIps: recovery.privateIps });
  });

  it('applies overrides field by field, private IPs per instance', () => {
    expect(effectiveTarget(recovery, { subnetId: 'subnet-bbbbbbbb', instanceType: 'c6i.large', privateIps: { 'i-bbbbbbbb': '10.1.0.2' } })).toEqual({
      subnetId: 'subnet-bbbbbbbb',
      securityGroupIds: ['sg-aaaaaaaa'],
      instanceType: 'c6i.large',
      privateIps: { 'i-aaaaaaaa': '10.0.0.1', 'i-bbbbbbbb': '10.1.0.2' },
    });
  });
});
