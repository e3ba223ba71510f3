/** The preflight's site checks and its report (bin/doctor/site-checks.ts, doctor-model.ts). */
import { ReadFailed } from '../../bin/doctor/account-facts';
import { doctorExitCode, doctorReport, ok, problem, renderReport, warning } from '../../bin/doctor/doctor-model';
import { alertChecks, storeChecks, vcpuChecks } from '../../bin/doctor/site-checks';

const denied = (what: string) => new ReadFailed(what, Object.assign(new Error('not allowed'), { name: 'AccessDenied' }));

describe('vcpuChecks', () => {
  const need = { vpg: 'web', zsats: 3, instanceType: 'c6i.large', vcpusEach: 2 };
  it('is a problem when not one zSAT fits the quota, naming the quota code, the figure to ask for and a smaller type', () => {
    const [check] = vcpuChecks(1, [need], 0);
    expect(check).toMatchObject({ vpg: 'web', status: 'problem', check: 'vcpu-quota' });
    expect(check.detail).toBe(
      "one zSAT of c6i.large needs 2 vCPUs, over the account's quota of 1 vCPUs of Running On-Demand Standard instances (L-1216C47A): no zSAT can launch",
    );
    expect(check.fix).toBe('request L-1216C47A of at least 6 in Service Quotas, or list a smaller type first in agent.instanceTypes');
  });
  it('warns when the quota holds fewer zSATs than a sync runs at once: the sync runs those that fit, then the others', () => {
    const [check] = vcpuChecks(5, [need], 0);
    expect(check).toMatchObject({ status: 'warning', fix: 'request L-1216C47A of at least 6 in Service Quotas' });
    expect(check.detail).toBe(
      "6 vCPUs of zSATs at once; 0 of the quota's 5 are in use now, so a sync runs 2 zSATs of c6i.large at once of its 3, the others after them (a first sync takes longer)",
    );
  });
  it('is a problem when what runs now leaves room for not one zSAT, naming the test VMs a person can remove', () => {
    const [check] = vcpuChecks(5, [{ ...need, zsats: 1 }], 4);
    expect(check).toMatchObject({
      status: 'problem',
      detail: "4 of the quota's 5 vCPUs are in use now, so not one zSAT of c6i.large (2 vCPUs) can launch: a sync now fails once its launch retries run out",
    });
    expect(check.fix).toMatch(/lifeboat failback-cleanup <vpg>/);
  });
  it('warns when what runs now leaves too little for all, and is ok when the zSATs fit', () => {
    expect(vcpuChecks(8, [need], 4)[0]).toMatchObject({ status: 'warning', fix: 'request L-1216C47A of at least 10 in Service Quotas' });
    expect(vcpuChecks(8, [need], 2)[0]).toMatchObject({ status: 'ok', detail: '3 zSATs of c6i.large at once need 6 of 6 free vCPUs (quota 8, 2 in use)' });
  });
  it('says which permission is missing when the quota cannot be read', () => {
    expect(vcpuChecks(denied('Service Quotas ec2/L-1216C47A'), [need], 0)[0]).toMatchObject({
      status: 'warning',
      fix: 'run lifeboat doctor as a principal allowed servicequotas:GetServiceQuota',
    });
  });
});

describe('storeChecks', () => {
  const good = { versioning: 'Enabled', encryption: 'aws:kms', objectLock: null };
  it('is ok for a versioned, encrypted bucket without Object Lock when the config asks none', () => {
    expect(storeChecks('b', good, { encryption: 's3' }).map((c) => c.status)).toEqual(['ok', 'ok']);
  });
  it('is a problem when the config asks for Object Lock and the bucket has none, and warns of a bucket without versioning', () => {
    const checks = storeChecks('b', { ...good, versioning: 'Suspended' }, { encryption: 's3', objectLock: { mode: 'COMPLIANCE', days: 30 } });
    expect(checks.map((c) => c.status)).toEqual(['warning', 'ok', 'problem']);
    expect(checks[0].fix).toBe('aws s3api put-bucket-versioning --bucket b --versioning-configuration Status=Enabled');
    expect(checks[2].detail).toBe('store.objectLock asks for COMPLIANCE retention of 30 days, but b has no Object Lock');
  });
  it('is a problem when the bucket does not exist, naming the deploy', () => {
    const gone = new ReadFailed('bucket b', Object.assign(new Error('Not Found'), { name: 'NotFound' }));
    expect(storeChecks('b', gone, { encryption: 's3' })).toEqual([
      expect.objectContaining({ status: 'problem', detail: 'replica bucket b does not exist', fix: expect.stringContaining('npx cdk deploy --all') }),
    ]);
  });
});

describe('alertChecks', () => {
  it('is ok with a confirmed subscription, warns of a pending or missing one, and is a problem without the topic', () => {
    expect(alertChecks('t', { topicArn: 'arn', confirmed: ['email:a@b.c'], pending: [] }, 'a@b.c')[0].status).toBe('ok');
    expect(alertChecks('t', { topicArn: 'arn', confirmed: [], pending: ['email:a@b.c'] }, 'a@b.c')[0]).toMatchObject({
      status: 'warning',
      detail: 't: email:a@b.c has not confirmed the subscription, so alarms notify nobody',
    });
    expect(alertChecks('t', { topicArn: 'arn', confirmed: [], pending: [] }, undefined)[0].fix).toMatch(/set alerts\.email/);
    expect(alertChecks('t', null, undefined)[0].status).toBe('problem');
  });
});

describe('the report', () => {
  it('exits 1 on any problem and 0 with warnings only, one line per check with its fix under it', () => {
    const withProblem = doctorReport([ok('web', 'instances', 'fine'), problem('web', 'network', 'no path', 'add an endpoint')]);
    expect(doctorExitCode(withProblem)).toBe(1);
    expect(doctorExitCode(doctorReport([warning(null, 'alerts', 'nobody', 'subscribe')]))).toBe(0);
    const text = renderReport(withProblem, false).split('\n');
    expect(text[0]).toBe('ok       web   instances  fine');
    expect(text[1]).toBe('problem  web   network    no path');
    expect(text[2]).toBe(`${' '.repeat(text[1].indexOf('no path'))}fix: add an endpoint`);
    expect(text[3]).toBe('1 problem blocks a sync or a failback; fix it and run lifeboat doctor again');
  });
});
