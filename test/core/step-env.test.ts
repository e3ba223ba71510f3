import { InvalidInput } from '../../lambda/core/errors';
import { parseStepEnv } from '../../lambda/core/step-env';
import { STEP_ENV } from '../../lambda/core/sync-contract';

const good = {
  [STEP_ENV.siteId]: 'site-a',
  [STEP_ENV.bucket]: 'lifeboat-site-a-replica',
  [STEP_ENV.zsatLaunchTemplate]: 'lifeboat-site-a-zsat',
  [STEP_ENV.subnetId]: '',
  [STEP_ENV.zsatSecurityGroup]: 'sg-1',
};

describe('parseStepEnv', () => {
  it('reads the variables, treating empty optional ones as unset', () => {
    expect(parseStepEnv(good)).toEqual({
      siteId: 'site-a',
      bucket: 'lifeboat-site-a-replica',
      zsatLaunchTemplate: 'lifeboat-site-a-zsat',
      importerLaunchTemplate: undefined,
      subnetId: undefined,
      zsatSecurityGroup: 'sg-1',
      importerSecurityGroup: undefined,
      bucketRegion: undefined,
    });
  });

  it('fails loudly, naming each bad variable', () => {
    const bad = { ...good, [STEP_ENV.siteId]: 'Site A', [STEP_ENV.bucket]: undefined };
    expect(() => parseStepEnv(bad)).toThrow(InvalidInput);
    expect(() => parseStepEnv(bad)).toThrow(/LIFEBOAT_SITE_ID: a site id.*LIFEBOAT_BUCKET/);
  });
});
