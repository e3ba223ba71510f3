/** The shared name and IPv4 rules, and that each runtime part that takes them applies the same rule. */
import { parseFailbackRequest } from '../../runtime/core/failback/failback-request';
import { isIpv4 } from '../../runtime/core/ipv4';
import { assertName, isName, nameProblem } from '../../runtime/core/names';
import { parseStepEnv } from '../../runtime/core/step-env';
import { STEP_ENV } from '../../runtime/core/step-env';

describe('names', () => {
  it.each(['a', '0', 'web', 'site-a', 'a--b', 'x'.repeat(32)])('accepts %j', (name) => {
    expect(nameProblem(name)).toBeUndefined();
    expect(assertName('VPG name', name)).toBe(name);
  });

  it.each([
    ['', 'is empty'],
    ['-', "starts with '-'"],
    ['--', "starts with '-'"],
    ['-web', "starts with '-'"],
    ['web-', "ends with '-'"],
    ['Web', 'contains "W", which is not a-z, 0-9 or \'-\''],
    ['web_1', 'contains "_", which is not a-z, 0-9 or \'-\''],
    ['a/b', 'contains "/", which is not a-z, 0-9 or \'-\''],
    ['x'.repeat(33), 'is 33 characters long, over 32'],
  ])('refuses %j: it %s', (name, reason) => {
    expect(nameProblem(name)).toBe(reason);
    expect(isName(name)).toBe(false);
  });

  it('throws an Error that names the kind, the value, the reason and the rule', () => {
    expect(() => assertName('VPG name', '-web')).toThrow(
      new Error("invalid VPG name \"-web\": it starts with '-'; use 1-32 characters a-z, 0-9 or '-', starting and ending with a letter or digit"),
    );
  });

  it('is the rule of the step environment', () => {
    const env = { [STEP_ENV.siteId]: '-', [STEP_ENV.bucket]: 'b', [STEP_ENV.zsatLaunchTemplate]: 't' };
    expect(() => parseStepEnv(env)).toThrow(/LIFEBOAT_SITE_ID: a site id: 1-32 characters a-z, 0-9 or '-', starting and ending with a letter or digit/);
    expect(parseStepEnv({ ...env, [STEP_ENV.siteId]: 'a--b' }).siteId).toBe('a--b');
  });
});

describe('IPv4', () => {
  it.each(['0.0.0.0', '10.0.1.20', '192.168.0.1', '255.255.255.255', '172.31.250.9'])('accepts %j', (ip) => {
    expect(isIpv4(ip)).toBe(true);
  });

  it.each(['999.999.999.999', '256.1.1.1', '01.2.3.4', '10.00.1.2', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-4', '1..3.4', 'a.b.c.d', '١.٢.٣.٤'])(
    'refuses %j',
    (ip) => {
      expect(isIpv4(ip)).toBe(false);
    },
  );

  it('is the rule of the failback request target.privateIps', () => {
    for (const ip of ['999.999.999.999', '01.2.3.4', '1.2.3']) {
      expect(() => parseFailbackRequest({ target: { privateIps: { 'i-0123456789abcdef0': ip } } })).toThrow(
        /target\.privateIps\.i-0123456789abcdef0: must be an IPv4 address: four numbers 0-255 without leading zeros/,
      );
    }
    expect(parseFailbackRequest({ target: { privateIps: { 'i-0123456789abcdef0': '10.0.0.5' } } }).target?.privateIps).toEqual({
      'i-0123456789abcdef0': '10.0.0.5',
    });
  });
});
