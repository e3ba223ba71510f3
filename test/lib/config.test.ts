import { instanceTypesOf } from '../../lib/config-instance-types';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { vpgPrefix } from '../../runtime/core/store/format';
import { parseStepEnv } from '../../runtime/core/step-env';
import { STEP_ENV } from '../../runtime/core/step-env';
import { ConfigError, formatPath, loadConfig, NONCURRENT_VERSION_DAYS, parseConfig, vpgRuntime } from '../../lib/config';
import { siteNames, vpgNames } from '../../lib/config-names';
import { problems } from './config-problems';
import { ReplicaBucket, replicaBucketName } from '../../lib/replica-bucket';
import {
  alertTopicName,
  dashboardName,
  probeFunctionName,
  rpoAlarmName,
  siteStackName,
  sweeperFunctionName,
  syncFailedAlarmName,
  vpgStackName,
  vpgStepFunctionName,
  workerLaunchTemplateName,
} from '../../runtime/core/resource-names';

const EXAMPLE = resolve(__dirname, '../../lifeboat.config.json');
const ID_A = 'i-0123456789abcdef0';

/** A valid config; each case overrides only the field under test. */
function valid(): Record<string, unknown> {
  return {
    siteId: 'site-a',
    vpgs: [{ name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 15, journalHours: 24 }],
  };
}

describe('parseConfig', () => {
  it('accepts the example config and applies every default', () => {
    const config = loadConfig(EXAMPLE);
    expect(config.siteId).toBe('site-a');
    expect(config.vpgs[0]).toMatchObject({ name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 15, journalHours: 24, recovery: {} });
    expect(config.agent).toEqual({ volumesPerZsat: 4, maxZsats: 8 });
    expect(config.importer).toEqual({ volumesPerZsat: 4, maxZsats: 8 });
    expect([instanceTypesOf(config.agent), instanceTypesOf(config.importer)]).toEqual([['c6i.large'], ['c6i.large']]);
    expect(config.store).toEqual({ encryption: 's3' });
    expect(config.pollSeconds).toBe(30);
    expect(config.heartbeatTimeoutSeconds).toBe(300);
  });

  it('defaults the interval and journal of a VPG that names only its instances', () => {
    const config = parseConfig({ siteId: 's1', vpgs: [{ name: 'db', instances: { ids: [ID_A] } }] }, 'x');
    expect(config.vpgs[0]).toMatchObject({ syncIntervalMinutes: 15, journalHours: 24 });
  });

  it('names a missing siteId', () => {
    const json = valid();
    delete json.siteId;
    expect(problems(json)).toEqual([expect.stringMatching(/^site\.json: siteId: is missing; it must be .*1-32 characters a-z, 0-9 or '-'/)]);
  });

  it('rejects a siteId with characters that cannot go into names and tags', () => {
    expect(problems({ ...valid(), siteId: 'Site_A' })).toEqual([expect.stringMatching(/^site\.json: siteId: is wrong; .*e\.g\. "site-a"$/)]);
  });

  it('names a duplicate VPG name by its index', () => {
    const json = {
      ...valid(),
      vpgs: [
        { name: 'web', instances: { ids: [ID_A] } },
        { name: 'web', instances: { tags: { a: 'b' } } },
      ],
    };
    expect(problems(json)).toEqual(['site.json: vpgs[1].name: is "web" again (also vpgs[0]); VPG names must be unique in a site']);
  });

  it('names an instance that two VPGs protect', () => {
    const json = {
      ...valid(),
      vpgs: [
        { name: 'a', instances: { ids: [ID_A] } },
        { name: 'b', instances: { ids: ['i-0fedcba9876543210', ID_A] } },
      ],
    };
    expect(problems(json)).toEqual([
      `site.json: vpgs[1].instances.ids[1]: instance ${ID_A} is already protected by VPG "a"; an instance belongs to one VPG only`,
    ]);
  });

  it('explains why a sync interval below the minimum is refused', () => {
    const json = valid();
    (json.vpgs as Array<Record<string, unknown>>)[0].syncIntervalMinutes = 2;
    const [line, ...rest] = problems(json);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^site\.json: vpgs\[0\]\.syncIntervalMinutes: is wrong; it must be at least 5 minutes; .*snapshot.*EventBridge/);
  });

  it('refuses a fractional interval and one above a day', () => {
    const json = {
      ...valid(),
      vpgs: [
        { name: 'a', instances: { ids: [ID_A] }, syncIntervalMinutes: 7.5 },
        { name: 'b', instances: { tags: { x: 'y' } }, syncIntervalMinutes: 1441, journalHours: 48 },
      ],
    };
    const lines = problems(json);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^site\.json: vpgs\[0\]\.syncIntervalMinutes: is wrong; it must be a whole number from 5 to 1440/);
    expect(lines[1]).toMatch(/^site\.json: vpgs\[1\]\.syncIntervalMinutes: is wrong; it must be at most 1440/);
  });

  it('names unknown keys at the root and inside a VPG, with the fix', () => {
    const json = { ...valid(), region: 'eu-west-1', vpgs: [{ name: 'web', instances: { tags: { app: 'web' } }, interval: 5 }] };
    expect(problems(json).sort()).toEqual([
      'site.json: region: is not a known key; remove it or check its spelling (docs/config.md lists every key)',
      'site.json: vpgs[0].interval: is not a known key; remove it or check its spelling (docs/config.md lists every key)',
    ]);
  });

  it('names wrong types, each on its own line', () => {
    const json = { ...valid(), pollSeconds: '30', vpgs: [{ name: 'web', instances: { ids: 'i-0123456789abcdef0' }, journalHours: 'a day' }] };
    const lines = problems(json);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^site\.json: pollSeconds: is wrong; it must be a whole number from 5 to 3600/),
        expect.stringMatching(/^site\.json: vpgs\[0\]\.instances\.ids: is wrong; it must be an array of EC2 instance ids$/),
        expect.stringMatching(/^site\.json: vpgs\[0\]\.journalHours: is wrong; it must be a number of hours/),
      ]),
    );
  });

  it('reports duplicates even when another key is malformed, all in one go', () => {
    const json = {
      ...valid(),
      vpgs: [
        { name: 'web', instances: { ids: [ID_A] }, syncIntervalMinutes: 1 },
        { name: 'db', instances: { ids: [ID_A] } },
        { name: 'web', instances: { tags: { a: 'b' } } },
      ],
    };
    const lines = problems(json);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^site\.json: vpgs\[0\]\.syncIntervalMinutes: is wrong/);
    expect(lines.slice(1)).toEqual([
      `site.json: vpgs[1].instances.ids[0]: instance ${ID_A} is already protected by VPG "web"; an instance belongs to one VPG only`,
      'site.json: vpgs[2].name: is "web" again (also vpgs[0]); VPG names must be unique in a site',
    ]);
  });

  it('refuses a tag key the state machine would read as a JSONPath', () => {
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { tags: { 'app.$': 'web' } } }] };
    expect(problems(json)).toEqual([
      expect.stringMatching(/^site\.json: vpgs\[0\]\.instances\.tags\.app\.\$: is not an allowed key; it must be an EC2 tag key.*not ending in "\.\$"$/),
    ]);
  });

  it('refuses a VPG whose instances select nothing', () => {
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { ids: [], tags: {} } }] };
    expect(problems(json)).toEqual(['site.json: vpgs[0].instances: selects nothing; give "ids" (instance ids) or "tags" (tag key → value), not empty']);
  });

  it('refuses a root that is not an object, and an empty VPG list', () => {
    expect(problems([])).toEqual(['site.json: (root): is wrong; it must be a JSON object with at least "siteId" and "vpgs"']);
    expect(problems({ siteId: 'a', vpgs: [] })).toEqual(['site.json: vpgs: is wrong; it must list at least one VPG']);
  });

  it('checks references between keys', () => {
    const json = {
      ...valid(),
      agent: { subnetId: 'subnet-0123456789abcdef0' },
      store: { region: 'eu-west-1' },
      vpgs: [{ name: 'web', instances: { ids: [ID_A] }, recovery: { bootOrder: ['i-0fedcba9876543210'] } }],
      pollSeconds: 200,
    };
    expect(problems(json)).toEqual([
      "site.json: vpgs[0].recovery.bootOrder[0]: names i-0fedcba9876543210, which is not in this VPG's instances.ids; use a protected instance id",
      "site.json: agent.vpcId: is missing; with agent.subnetIds, give the vpcId of those subnets (the workers' security group lives in that VPC)",
      'site.json: store.region: needs store.bucketName; the site stack creates a bucket only in its own region, so name an existing bucket in that region',
      'site.json: heartbeatTimeoutSeconds: (300) must be at least twice pollSeconds (200), or a healthy zSAT looks dead between two polls',
    ]);
  });

  it('takes instanceTypes in order of preference, one architecture, each once, and instanceType only when it agrees', () => {
    const parsed = parseConfig({ ...valid(), agent: { instanceTypes: ['c7g.large', 'm7g.large'] }, importer: { instanceType: 'm6i.large' } }, 'site.json');
    expect([instanceTypesOf(parsed.agent), instanceTypesOf(parsed.importer)]).toEqual([['c7g.large', 'm7g.large'], ['m6i.large']]);
    const json = { ...valid(), agent: { instanceType: 'c6i.large', instanceTypes: ['m6i.large', 'c7g.large', 'm6i.large'] }, importer: { instanceTypes: [] } };
    expect(problems(json)).toEqual(['site.json: importer.instanceTypes: is wrong; it must list at least one instance type']);
    expect(problems({ ...json, importer: {} })).toEqual([
      'site.json: agent.instanceType: is c6i.large but agent.instanceTypes starts with m6i.large; keep one: instanceTypes (the preferred first) replaces instanceType',
      'site.json: agent.instanceTypes[1]: is c7g.large, an arm64 (Graviton) type, but m6i.large is x86_64; the worker image has one architecture, so list types of one architecture only',
      'site.json: agent.instanceTypes[2]: is m6i.large again (also agent.instanceTypes[0]); list each type once',
    ]);
  });

  it('refuses a journal shorter than one sync interval', () => {
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { ids: [ID_A] }, syncIntervalMinutes: 180, journalHours: 2 }] };
    expect(problems(json)).toEqual(['site.json: vpgs[0].journalHours: (2 h) is shorter than one sync interval (180 min); make it at least 3 h']);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-config-'));

  it('says which file cannot be read', () => {
    const path = join(dir, 'absent.json');
    expect(() => loadConfig(path)).toThrow(`${path}: (root): cannot read the file (ENOENT)`);
  });

  it('says which file is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "siteId": ');
    expect(() => loadConfig(path)).toThrow(new RegExp(`^${path.replace(/[.]/g, '\\.')}: \\(root\\): is not valid JSON`));
  });
});

describe('formatPath', () => {
  it('writes JSON paths the way a person reads them', () => {
    expect(formatPath(['vpgs', 1, 'syncIntervalMinutes'])).toBe('vpgs[1].syncIntervalMinutes');
    expect(formatPath([])).toBe('(root)');
  });
});

describe('vpgRuntime', () => {
  it('builds what the state machine embeds from the config and the deploy-time extras', () => {
    const config = parseConfig(
      {
        ...valid(),
        agent: { volumesPerZsat: 2, maxZsats: 3 },
        pollSeconds: 20,
        heartbeatTimeoutSeconds: 120,
        vpgs: [{ name: 'db', instances: { ids: [ID_A] }, syncIntervalMinutes: 30, journalHours: 12 }],
      },
      'x',
    );
    expect(vpgRuntime(config, config.vpgs[0], { agentInstanceProfileArn: 'arn:profile', storeBucket: 'bucket-1' })).toEqual({
      name: 'db',
      instanceIds: [ID_A],
      instanceTags: {},
      syncIntervalMinutes: 30,
      journalHours: 12,
      volumesPerZsat: 2,
      maxZsats: 3,
      pollSeconds: 20,
      heartbeatTimeoutSeconds: 120,
      agentInstanceProfileArn: 'arn:profile',
      storeBucket: 'bucket-1',
    });
  });
});

/** A config of these VPGs (each `[name, tags]`), valid otherwise. */
const withVpgs = (...vpgs: Array<[string, Record<string, string>]>) => ({ ...valid(), vpgs: vpgs.map(([name, tags]) => ({ name, instances: { tags } })) });

describe('site capacity: what grows with the VPG count on the site stack', () => {
  const many = (n: number, length: number) =>
    Array.from({ length: n }, (_, i) => [`${'v'.repeat(length - 3)}${String(i).padStart(3, '0')}`, { vpg: String(i) }] as [string, Record<string, string>]);

  it('accepts fifty VPGs with 32-character names under a 26-character site id', () => {
    expect(parseConfig({ ...withVpgs(...many(50, 32)), siteId: 's'.repeat(26) }, 'x').vpgs).toHaveLength(50);
  });

  it("refuses a site whose VPGs' executions would need more managed policies on the sweeper's role than IAM allows, or whose names overflow Lambda's 4 KB environment, with the fix", () => {
    expect(problems({ ...withVpgs(...many(100, 32)), siteId: 's'.repeat(26) })).toEqual([
      "site.json: vpgs: (100 VPGs) needs 10 managed policies on the site sweeper's role for the VPGs' executions, each holding about 10 VPGs at these name lengths; a role takes at most 9 of them (IAM's 10 managed policies per role, 1 kept for CDK's own overflow), so at most 90 VPGs here; split the VPGs across two sites (each with its own siteId), or shorten the VPG names",
      "site.json: vpgs: (100 VPGs) makes the sweeper's environment variable LIFEBOAT_SWEEPER_VPGS 3522 characters long with its name, over the 3072 left of Lambda's 4096 for all of a function's variables once its other variables have their 1024; split the VPGs across two sites (each with its own siteId), or shorten the VPG names",
      "site.json: vpgs: (100 VPGs) makes the RPO probe's environment variable LIFEBOAT_PROBE_VPGS 3318 characters long with its name, over the 3072 left of Lambda's 4096 for all of a function's variables once its other variables have their 1024; split the VPGs across two sites (each with its own siteId), or shorten the VPG names",
    ]);
    // the same number of VPGs with short names fits
    expect(parseConfig({ ...withVpgs(...many(100, 8)), siteId: 'dr' }, 'x').vpgs).toHaveLength(100);
  });
});

describe('names: the runtime rule (runtime/core/names.ts)', () => {
  it.each(['-web', '--', 'web-'])('refuses the VPG name %j with the reason and the rule', (name) => {
    const reason = name.startsWith('-') ? "starts with '-'" : "ends with '-'";
    expect(problems(withVpgs([name, { app: 'web' }]))).toEqual([
      `site.json: vpgs[0].name: is wrong; it must be 1-32 characters a-z, 0-9 or '-', starting and ending with a letter or digit (the VPG name), and ${JSON.stringify(name)} ${reason}; e.g. "site-a"`,
    ]);
    // The store refuses a leading '-' today (assertKeySegment); a trailing one goes with it once vpgPrefix takes this rule.
    if (name.startsWith('-')) expect(() => vpgPrefix(name)).toThrow(/invalid VPG name/);
  });

  it('refuses the site id "-", which the step environment refuses', () => {
    expect(problems({ ...valid(), siteId: '-' })).toEqual([
      `site.json: siteId: is wrong; it must be 1-32 characters a-z, 0-9 or '-', starting and ending with a letter or digit (the site id, the Owner tag of everything Lifeboat creates), and "-" starts with '-'; e.g. "site-a"`,
    ]);
  });

  it('accepts "--" inside a name, as S3 keys, bucket and stack names do; the store and the step environment take it too', () => {
    const config = parseConfig({ ...withVpgs(['a--b', { app: 'web' }]), siteId: 's--1' }, 'x');
    expect(vpgPrefix(config.vpgs[0].name)).toBe('vpgs/a--b/');
    expect(parseStepEnv({ [STEP_ENV.siteId]: config.siteId, [STEP_ENV.bucket]: 'b', [STEP_ENV.zsatLaunchTemplate]: 't' }).siteId).toBe('s--1');
  });
});

describe('derived names fit AWS limits and are unique', () => {
  it("refuses a site id and VPG name whose longest generated name, the failback state machine, is over Step Functions' 80 characters, with the VPG name length that fits", () => {
    const site = 's'.repeat(30);
    const vpg = 'v'.repeat(32);
    expect(problems({ ...withVpgs([vpg, { app: 'web' }]), siteId: site, store: { bucketName: 'my-dr-bucket' } })).toEqual([
      `site.json: vpgs[0].name: "${vpg}" (32 characters) with site id "${site}" makes the failback state machine "lifeboat-${site}-${vpg}-failback" 81 characters long, over the limit of 80 (Step Functions CreateStateMachine); shorten the VPG name to at most 31 characters, or shorten the site id`,
    ]);
    // One character less fits: the check is at the limit, not near it.
    expect(parseConfig({ ...withVpgs([vpg.slice(1), { app: 'web' }]), siteId: site, store: { bucketName: 'my-dr-bucket' } }, 'x').vpgs[0].name).toHaveLength(
      31,
    );
  });

  it('names, of several generated names over their limits, the one that needs the shortest VPG name', () => {
    // sync ("-sync", 5 over) and failback ("-failback", 9 over) are both too long; the failback decides
    const site = 's'.repeat(32);
    const vpg = 'v'.repeat(32);
    expect(problems({ ...withVpgs([vpg, { app: 'web' }]), siteId: site, store: { bucketName: 'my-dr-bucket' } })).toEqual([
      `site.json: vpgs[0].name: "${vpg}" (32 characters) with site id "${site}" makes the failback state machine "lifeboat-${site}-${vpg}-failback" 83 characters long, over the limit of 80 (Step Functions CreateStateMachine); shorten the VPG name to at most 29 characters, or shorten the site id`,
    ]);
    expect(parseConfig({ ...withVpgs([vpg.slice(3), { app: 'web' }]), siteId: site, store: { bucketName: 'my-dr-bucket' } }, 'x').vpgs[0].name).toHaveLength(
      29,
    );
  });

  it('refuses a site id too long for the default bucket name, unless store.bucketName names one', () => {
    const site = 'a'.repeat(27);
    expect(problems({ ...valid(), siteId: site })).toEqual([
      `site.json: siteId: makes the default replica bucket name lifeboat-${site}-<account>-<region> 64 characters long, over the limit of 63 (S3 bucket naming rules); use a site id of at most 26 characters, or name an existing bucket in store.bucketName`,
    ]);
    expect(parseConfig({ ...valid(), siteId: site, store: { bucketName: 'my-dr-bucket' } }, 'x').siteId).toBe(site);
    expect(parseConfig({ ...valid(), siteId: site.slice(1) }, 'x').siteId).toHaveLength(26);
  });

  it('refuses two VPGs that derive one Lambda function name ("web-failback"\'s cleanup-failed is "web"\'s failback-cleanup-failed)', () => {
    expect(problems(withVpgs(['web', { app: 'web' }], ['web-failback', { app: 'db' }]))).toEqual([
      'site.json: vpgs[1].name: "web-failback" gives the "cleanup-failed" step function the Lambda function name "lifeboat-site-a-web-failback-cleanup-failed", which VPG "web" (vpgs[0]) gets too; Lambda function names are unique in an account and region, so rename one of the two VPGs',
    ]);
  });

  it('checks the names the stacks create (runtime/core/resource-names.ts), a step function falling back to a hash past 64 characters', () => {
    const [site, vpg] = ['site-a', 'web'];
    const names = (what: string) => vpgNames(site, vpg).find((n) => n.what === what)?.name;
    expect(names('VPG stack')).toBe(vpgStackName(site, vpg));
    expect(names('RPO alarm')).toBe(rpoAlarmName(site, vpg));
    expect(names('sync-failed alarm')).toBe(syncFailedAlarmName(site, vpg));
    expect(names('"begin" step function')).toBe('lifeboat-site-a-web-begin');
    const siteName = (what: string) => siteNames(site, false).find((n) => n.what === what)?.name;
    expect(siteName('site stack')).toBe(siteStackName(site));
    expect(siteName('sweeper function')).toBe(sweeperFunctionName(site));
    expect(siteName('RPO probe function')).toBe(probeFunctionName(site));
    expect(siteName('zSAT launch template')).toBe(workerLaunchTemplateName(site, 'zsat'));
    expect(siteName('alert topic')).toBe(alertTopicName(site));
    expect(siteName('dashboard')).toBe(dashboardName(site));
    const long = vpgNames('s'.repeat(32), 'v'.repeat(32)).find((n) => n.what === '"failback-cleanup-failed" step function')?.name;
    expect(long).toMatch(/^lifeboat-[0-9a-f]{10}-failback-cleanup-failed$/);
    expect(long).toBe(vpgStepFunctionName('s'.repeat(32), 'v'.repeat(32), 'failback-cleanup-failed'));
    // The bucket: the config refuses exactly the site ids replicaBucketName refuses.
    expect(() => replicaBucketName(new Stack(), 'a'.repeat(27), { encryption: 's3' })).toThrow(/at most 26 characters/);
    expect(replicaBucketName(new Stack(), 'a'.repeat(26), { encryption: 's3' })).toMatch(/^lifeboat-a{26}-/);
  });
});

describe('tag selectors', () => {
  it('refuses two VPGs with the same selector, naming both and the tags', () => {
    expect(problems(withVpgs(['web', { app: 'web' }], ['web-2', { app: 'web' }]))).toEqual([
      'site.json: vpgs[1].instances.tags: is the same selector as VPG "web" (vpgs[0]), {"app": "web"}: every instance it matches would be in both VPGs; an instance belongs to one VPG only, so give both selectors one tag key with different values, e.g. "tier": "web" and "tier": "db", or merge the two VPGs',
    ]);
  });

  it.each([
    ['the later one narrower', { app: 'web' }, { app: 'web', tier: '1' }],
    ['the later one wider', { app: 'web', tier: '1' }, { app: 'web' }],
  ])('refuses a selector within another (%s): every instance the narrower one selects, the wider selects too', (_, first, second) => {
    expect(problems(withVpgs(['a', first], ['b', second]))).toEqual([
      'site.json: vpgs[1].instances.tags: overlaps VPG "a" (vpgs[0]): an instance tagged {"app": "web", "tier": "1"} matches both "b" and "a", since both selectors hold {"app": "web"}; an instance belongs to one VPG only, so give both selectors one tag key with different values, e.g. "tier": "web" and "tier": "db"',
    ]);
  });

  it('accepts selectors that one tag value tells apart, and (unknowable at synth) selectors an instance could satisfy both of', () => {
    expect(parseConfig(withVpgs(['a', { app: 'web', tier: '1' }], ['b', { app: 'web', tier: '2' }]), 'x').vpgs).toHaveLength(2);
    expect(parseConfig(withVpgs(['a', { app: 'web' }], ['b', { env: 'prod' }]), 'x').vpgs).toHaveLength(2);
  });

  it('accepts Owner as a selector key for another owner (teams tag instances Owner=<team>), refuses Owner = the site id', () => {
    expect(parseConfig(withVpgs(['web', { app: 'web', Owner: 'team-a' }]), 'x').vpgs[0].instances.tags).toEqual({ app: 'web', Owner: 'team-a' });
    const config = JSON.parse(JSON.stringify(withVpgs(['web', { app: 'web', Owner: 'x' }])));
    config.vpgs[0].instances.tags.Owner = config.siteId;
    expect(problems(config)).toEqual([expect.stringMatching(/vpgs\[0\]\.instances\.tags\.Owner: is one of Lifeboat's own tag keys/)]);
  });

  it.each(['ZERTO_TAG', 'LifeboatJob', 'lifeboat:vpg', 'lifeboat:anything-new'])("refuses a selector on Lifeboat's own tag key %s", (key) => {
    expect(problems(withVpgs(['web', { app: 'web', [key]: 'x' }]))).toEqual([
      `site.json: vpgs[0].instances.tags.${key}: is one of Lifeboat's own tag keys (ZERTO_TAG, Owner, LifeboatJob, lifeboat:*), which mark the resources Lifeboat creates, never a protected instance; select the instances by a tag of your own`,
    ]);
  });

  it("accepts keys that only look like Lifeboat's (tag keys are case-sensitive)", () => {
    expect(parseConfig(withVpgs(['web', { owner: 'team-a', 'Lifeboat:x': 'y' }]), 'x').vpgs[0].instances.tags).toEqual({ owner: 'team-a', 'Lifeboat:x': 'y' });
  });
});

describe('private IPs', () => {
  it.each(['999.999.999.999', '01.2.3.4', '1.2.3'])('refuses %j in recovery.privateIps with the rule', (ip) => {
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { ids: [ID_A] }, recovery: { privateIps: { [ID_A]: ip } } }] };
    expect(problems(json)).toEqual([
      `site.json: vpgs[0].recovery.privateIps.${ID_A}: is wrong; it must be an IPv4 address: four numbers 0-255 without leading zeros, such as "10.0.1.20"`,
    ]);
  });

  it('accepts a valid address', () => {
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { ids: [ID_A] }, recovery: { privateIps: { [ID_A]: '10.0.1.20' } } }] };
    expect(parseConfig(json, 'x').vpgs[0].recovery.privateIps).toEqual({ [ID_A]: '10.0.1.20' });
  });
});

describe('object lock against the journal', () => {
  const locked = (mode: string, days: number, ...journals: number[]) => ({
    ...valid(),
    store: { objectLock: { mode, days } },
    vpgs: journals.map((journalHours, i) => ({ name: `v${i}`, instances: { tags: { vpg: `v${i}` } }, journalHours })),
  });

  it('refuses a COMPLIANCE lock longer than the shortest journal plus the week the bucket keeps deleted versions, with both fixes', () => {
    expect(problems(locked('COMPLIANCE', 30, 48, 24))).toEqual([
      'site.json: store.objectLock.days: (30 days) locks every object version 720 h, longer than VPG "v1" keeps it: its journal (vpgs[1].journalHours, 24 h) plus the 7 days the bucket keeps a deleted version (192 h in all); the versions compaction deletes would stay, and cost, 528 h longer, and in COMPLIANCE mode no one, root included, can delete them; set store.objectLock.days to at most 8, or raise vpgs[1].journalHours to at least 552',
    ]);
  });

  it('refuses a GOVERNANCE lock the same way, saying who could still free the space', () => {
    const [line] = problems(locked('GOVERNANCE', 9, 24));
    expect(line).toMatch(
      /^site\.json: store\.objectLock\.days: \(9 days\) .* 24 h longer, unless someone deletes each version with governance bypass; set store\.objectLock\.days to at most 8, or raise vpgs\[0\]\.journalHours to at least 48$/,
    );
  });

  it('accepts a lock up to the journal plus that week: it keeps nothing longer than the bucket does anyway', () => {
    expect(parseConfig(locked('COMPLIANCE', 8, 24), 'x').store.objectLock).toEqual({ mode: 'COMPLIANCE', days: 8 });
    expect(parseConfig(locked('COMPLIANCE', 30, 552), 'x').store.objectLock?.days).toBe(30);
  });

  it('uses the noncurrent-version expiry the synthesized bucket really has', () => {
    const stack = new Stack();
    new ReplicaBucket(stack, 'Store', { siteId: 'site-a', store: { encryption: 's3', objectLock: { mode: 'COMPLIANCE', days: 8 } } });
    const buckets = Template.fromStack(stack).findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } });
    const [bucket] = Object.values(buckets) as Array<{
      Properties: { LifecycleConfiguration: { Rules: Array<{ NoncurrentVersionExpiration?: { NoncurrentDays: number } }> } };
    }>;
    const days = bucket.Properties.LifecycleConfiguration.Rules.flatMap((r) =>
      r.NoncurrentVersionExpiration ? [r.NoncurrentVersionExpiration.NoncurrentDays] : [],
    );
    expect(days).toEqual([NONCURRENT_VERSION_DAYS]);
  });
});

describe('duplicate JSON keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-config-dup-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('names a duplicate key by its path and both lines, with the fix', () => {
    const path = file(
      'dup.json',
      [
        '{',
        '  "siteId": "site-a",',
        '  "vpgs": [',
        '    { "name": "web",',
        '      "instances": { "tags": { "app": "web" } },',
        '      "journalHours": 48,',
        '      "journalHours": 2 }',
        '  ]',
        '}',
      ].join('\n'),
    );
    expect(() => loadConfig(path)).toThrow(
      new ConfigError([
        `${path}: vpgs[0].journalHours: appears twice in one object (line 6 and line 7); JSON.parse would silently keep only the last, so remove one of them`,
      ]),
    );
  });

  it('finds a duplicate however its key is escaped, and reports it with every other problem', () => {
    const path = file(
      'dup-root.json',
      '{ "siteId": "site-a", "\\u0073iteId": "Site B", "vpgs": [ { "name": "web", "instances": { "tags": { "app": "web" } } } ] }',
    );
    const lines = (() => {
      try {
        loadConfig(path);
      } catch (err) {
        return (err as ConfigError).problems;
      }
      return [];
    })();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      `${path}: siteId: appears twice in one object (line 1 and line 1); JSON.parse would silently keep only the last, so remove one of them`,
    );
    expect(lines[1]).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}: siteId: is wrong; .*"Site B" contains "S"`));
  });

  it('accepts one key in several objects', () => {
    const path = file('ok.json', JSON.stringify(withVpgs(['web', { app: 'web' }], ['db', { app: 'db' }]), null, 2));
    expect(loadConfig(path).vpgs.map((v) => v.name)).toEqual(['web', 'db']);
  });
});
