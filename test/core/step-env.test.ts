import { InvalidInput } from '../../runtime/core/errors';
import { parseStepEnv } from '../../runtime/core/step-env';
import { STEP_ENV } from '../../runtime/core/step-env';

const good = {
  [STEP_ENV.siteId]: 'site-a',
  [STEP_ENV.bucket]: 'lifeboat-site-a-replica',
  [STEP_ENV.zsatLaunchTemplate]: 'lifeboat-site-a-zsat',
  [STEP_ENV.zsatSubnets]: '',
  [STEP_ENV.importerSubnets]: '["subnet-0123456789abcdef0"]',
  [STEP_ENV.importerSubnetsKey]: 'agent.subnetIds',
  [STEP_ENV.zsatSecurityGroup]: 'sg-1',
  [STEP_ENV.zsatInstanceTypes]: '["c6i.large","m6i.large"]',
};

describe('parseStepEnv', () => {
  it('reads the variables, treating empty optional ones as unset', () => {
    expect(parseStepEnv(good)).toEqual({
      siteId: 'site-a',
      bucket: 'lifeboat-site-a-replica',
      zsatLaunchTemplate: 'lifeboat-site-a-zsat',
      importerLaunchTemplate: undefined,
      zsatSubnets: { subnetIds: [], configKey: 'agent.subnetIds' },
      importerSubnets: { subnetIds: ['subnet-0123456789abcdef0'], configKey: 'agent.subnetIds' },
      zsatInstanceTypes: ['c6i.large', 'm6i.large'],
      importerInstanceTypes: [],
      region: undefined,
      zsatSecurityGroup: 'sg-1',
      importerSecurityGroup: undefined,
      bucketRegion: undefined,
    });
  });

  it('refuses a subnet list that is not a JSON array of subnet ids, naming the variable', () => {
    for (const bad of ['subnet-0123456789abcdef0', '["vpc-0123456789abcdef0"]', '{}']) {
      expect(() => parseStepEnv({ ...good, [STEP_ENV.zsatSubnets]: bad })).toThrow(/LIFEBOAT_ZSAT_SUBNET_IDS: a JSON array of subnet ids/);
    }
  });

  it('refuses an instance type list that is not a JSON array of instance types, naming the variable', () => {
    for (const bad of ['c6i.large', '["c6i"]', '[1]']) {
      expect(() => parseStepEnv({ ...good, [STEP_ENV.zsatInstanceTypes]: bad })).toThrow(/LIFEBOAT_ZSAT_INSTANCE_TYPES: a JSON array of EC2 instance types/);
    }
  });

  it('fails loudly, naming each bad variable', () => {
    const bad = { ...good, [STEP_ENV.siteId]: 'Site A', [STEP_ENV.bucket]: undefined };
    expect(() => parseStepEnv(bad)).toThrow(InvalidInput);
    expect(() => parseStepEnv(bad)).toThrow(/LIFEBOAT_SITE_ID: a site id.*LIFEBOAT_BUCKET/);
  });
});
