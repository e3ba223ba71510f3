import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, formatPath, loadConfig, parseConfig, vpgRuntime } from '../../lib/config';

const EXAMPLE = resolve(__dirname, '../../lifeboat.config.json');
const ID_A = 'i-0123456789abcdef0';

/** A valid config; each case overrides only the field under test. */
function valid(): Record<string, unknown> {
  return {
    siteId: 'site-a',
    vpgs: [{ name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 15, journalHours: 24 }],
  };
}

/** The problem lines of an invalid config (fails the test if it is valid). */
function problems(json: unknown): string[] {
  try {
    parseConfig(json, 'site.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the config to be rejected');
}

describe('parseConfig', () => {
  it('accepts the example config and applies every default', () => {
    const config = loadConfig(EXAMPLE);
    expect(config.siteId).toBe('site-a');
    expect(config.vpgs[0]).toMatchObject({ name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 15, journalHours: 24, recovery: {} });
    expect(config.agent).toEqual({ instanceType: 'c6i.large', volumesPerZsat: 4, maxZsats: 8 });
    expect(config.importer).toEqual({ instanceType: 'c6i.large', volumesPerZsat: 4, maxZsats: 8 });
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
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { ids: [ID_A] } }, { name: 'web', instances: { tags: { a: 'b' } } }] };
    expect(problems(json)).toEqual(['site.json: vpgs[1].name: is "web" again (also vpgs[0]); VPG names must be unique in a site']);
  });

  it('names an instance that two VPGs protect', () => {
    const json = { ...valid(), vpgs: [{ name: 'a', instances: { ids: [ID_A] } }, { name: 'b', instances: { ids: ['i-0fedcba9876543210', ID_A] } }] };
    expect(problems(json)).toEqual([`site.json: vpgs[1].instances.ids[1]: instance ${ID_A} is already protected by VPG "a"; an instance belongs to one VPG only`]);
  });

  it('explains why a sync interval below the minimum is refused', () => {
    const json = valid();
    (json.vpgs as Array<Record<string, unknown>>)[0].syncIntervalMinutes = 2;
    const [line, ...rest] = problems(json);
    expect(rest).toEqual([]);
    expect(line).toMatch(/^site\.json: vpgs\[0\]\.syncIntervalMinutes: is wrong; it must be at least 5 minutes; .*snapshot.*EventBridge/);
  });

  it('refuses a fractional interval and one above a day', () => {
    const json = { ...valid(), vpgs: [{ name: 'a', instances: { ids: [ID_A] }, syncIntervalMinutes: 7.5 }, { name: 'b', instances: { tags: { x: 'y' } }, syncIntervalMinutes: 1441, journalHours: 48 }] };
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
    const json = { ...valid(), vpgs: [{ name: 'web', instances: { ids: [ID_A] }, syncIntervalMinutes: 1 }, { name: 'db', instances: { ids: [ID_A] } }, { name: 'web', instances: { tags: { a: 'b' } } }] };
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
    expect(problems(json)).toEqual([expect.stringMatching(/^site\.json: vpgs\[0\]\.instances\.tags\.app\.\$: is not an allowed key; it must be an EC2 tag key.*not ending in "\.\$"$/)]);
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
      'site.json: agent.vpcId: is missing; with a subnetId, give the vpcId of that subnet (its security group must live in the same VPC)',
      'site.json: store.region: needs store.bucketName; the site stack creates a bucket only in its own region, so name an existing bucket in that region',
      'site.json: heartbeatTimeoutSeconds: (300) must be at least twice pollSeconds (200), or a healthy zSAT looks dead between two polls',
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
      { ...valid(), agent: { volumesPerZsat: 2, maxZsats: 3 }, pollSeconds: 20, heartbeatTimeoutSeconds: 120, vpgs: [{ name: 'db', instances: { ids: [ID_A] }, syncIntervalMinutes: 30, journalHours: 12 }] },
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
