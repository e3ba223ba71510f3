/** The preflight's checks of a VPG's recovery mapping (bin/doctor/recovery-mapping.ts). */
import { recoveryMappingChecks, unusablePrivateIp, type RecoveryMappingFacts } from '../../bin/doctor/recovery-mapping';

const subnet = { subnetId: 'subnet-0aaa', vpcId: 'vpc-0rec', availabilityZone: 'eu-west-1b', cidrBlock: '10.8.16.0/20' };
const facts = (over: Partial<RecoveryMappingFacts> = {}): RecoveryMappingFacts => ({
  subnet,
  securityGroupVpcs: new Map([
    ['sg-0app', 'vpc-0rec'],
    ['sg-0old', 'vpc-0src'],
  ]),
  instanceTypeOffered: null,
  protectedInstanceIds: ['i-0web', 'i-0db'],
  region: 'eu-west-1',
  ...over,
});

describe('unusablePrivateIp', () => {
  it('accepts an address inside the CIDR that AWS does not reserve', () => {
    expect(unusablePrivateIp('10.8.16.4', '10.8.16.0/20')).toBeNull();
    expect(unusablePrivateIp('10.8.31.254', '10.8.16.0/20')).toBeNull();
  });
  it('refuses the first four addresses and the last, which AWS reserves in every subnet', () => {
    expect(unusablePrivateIp('10.8.16.3', '10.8.16.0/20')).toBe('is one of the five addresses AWS reserves in 10.8.16.0/20');
    expect(unusablePrivateIp('10.8.31.255', '10.8.16.0/20')).toBe('is one of the five addresses AWS reserves in 10.8.16.0/20');
  });
  it('refuses an address outside the CIDR, on either side', () => {
    expect(unusablePrivateIp('10.8.15.200', '10.8.16.0/20')).toBe('is outside 10.8.16.0/20');
    expect(unusablePrivateIp('10.8.32.10', '10.8.16.0/20')).toBe('is outside 10.8.16.0/20');
  });
});

describe('recoveryMappingChecks', () => {
  it('says nothing of a mapping that names nothing but the subnet (the subnet has its own check)', () => {
    expect(recoveryMappingChecks('web', {}, facts())).toEqual([]);
  });
  it('passes security groups of the recovery subnet’s VPC', () => {
    expect(recoveryMappingChecks('web', { securityGroupIds: ['sg-0app'] }, facts())).toEqual([
      { vpg: 'web', check: 'recovery security groups', status: 'ok', detail: 'sg-0app in eu-west-1' },
    ]);
  });
  it('is a problem when a group does not exist in the recovery region, naming it and the region', () => {
    const [c] = recoveryMappingChecks('web', { securityGroupIds: ['sg-0app', 'sg-0gone'] }, facts());
    expect(c).toMatchObject({ status: 'problem', detail: 'sg-0gone does not exist in eu-west-1' });
    expect(c.fix).toContain('vpgs[i].recovery.securityGroupIds');
  });
  it('is a problem when a group belongs to another VPC than the recovery subnet (RunInstances refuses it)', () => {
    const [c] = recoveryMappingChecks('web', { securityGroupIds: ['sg-0old'] }, facts());
    expect(c).toMatchObject({ status: 'problem', detail: 'sg-0old is not in vpc-0rec, the VPC of the recovery subnet subnet-0aaa' });
  });
  it('checks the instance type against the recovery zone’s offerings', () => {
    expect(recoveryMappingChecks('web', { instanceType: 'c6i.large' }, facts({ instanceTypeOffered: true }))[0]).toMatchObject({
      status: 'ok',
      detail: 'c6i.large is offered in eu-west-1b',
    });
    expect(recoveryMappingChecks('web', { instanceType: 'c6i.large' }, facts({ instanceTypeOffered: false }))[0]).toMatchObject({
      status: 'problem',
      detail: 'c6i.large is not offered in eu-west-1b (eu-west-1)',
    });
  });
  it('is a problem for each private IP the recovery subnet cannot give, naming the VM', () => {
    const [c] = recoveryMappingChecks('web', { privateIps: { 'i-0web': '10.8.16.20', 'i-0db': '10.9.0.5' } }, facts());
    expect(c).toMatchObject({ status: 'problem', check: 'recovery private IPs' });
    expect(c.detail).toBe('10.9.0.5 (for i-0db) is outside 10.8.16.0/20, the recovery subnet subnet-0aaa');
  });
  it('passes private IPs inside the subnet', () => {
    expect(recoveryMappingChecks('web', { privateIps: { 'i-0web': '10.8.16.20' } }, facts())[0]).toMatchObject({
      status: 'ok',
      detail: '1 address inside 10.8.16.0/20',
    });
  });
  it('warns when privateIps or bootOrder name an instance the VPG does not protect (the failback ignores it)', () => {
    const checks = recoveryMappingChecks('web', { bootOrder: ['i-0db', 'i-0other'] }, facts());
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: 'warning', check: 'recovery mapping' });
    expect(checks[0].detail).toContain('i-0other');
    expect(checks[0].detail).not.toContain('i-0db,');
  });
});
