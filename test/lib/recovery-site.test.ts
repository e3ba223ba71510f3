/**
 * A recovery site in another region (config recoverySite, lib/site-placement.ts): which stack holds what, in which
 * environment, and how each half names the other's resources.
 */
process.env.CDK_VALIDATION = 'false';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { addLifeboat } from '../../lib/lifeboat-app';
import { PlacementError, sitePlacement } from '../../lib/site-placement';
import { STUB_SOURCES, flatten, roleStatements } from './template-helpers';
import { problems as configProblems } from './config-problems';

const CONFIG = {
  siteId: 'dr',
  vpgs: [{ name: 'web', instances: { tags: { app: 'web' } } }],
  recoverySite: { region: 'eu-west-1' },
};
const config = parseConfig(CONFIG, 'test');
const stacks = addLifeboat(new App(), config, { ...STUB_SOURCES, env: { region: 'us-east-1' } });
const recoverySite = Template.fromStack(stacks.site);
const protectedSite = Template.fromStack(stacks.protectedSite!);
const protectedVpg = Template.fromStack(stacks.vpgs[0]);
const recoveryVpg = Template.fromStack(stacks.recoveryVpgs[0]);
const machines = (t: Template) => Object.values(t.findResources('AWS::StepFunctions::StateMachine')).map((r) => r.Properties.StateMachineName);

describe('a site whose recovery site is in another region', () => {
  it('deploys each half into its own region, under the conventional stack names', () => {
    expect([stacks.site, stacks.protectedSite!, ...stacks.vpgs, ...stacks.recoveryVpgs].map((s) => [s.stackName, s.region])).toEqual([
      ['Lifeboat-dr', 'eu-west-1'],
      ['Lifeboat-dr-Protected', 'us-east-1'],
      ['Lifeboat-dr-web', 'us-east-1'],
      ['Lifeboat-dr-web-Recovery', 'eu-west-1'],
    ]);
  });

  it('keeps the replica bucket, the ZImporter template, the RPO probe and the dashboard in the recovery site', () => {
    recoverySite.resourceCountIs('AWS::S3::Bucket', 2); // the replica and its access logs
    protectedSite.resourceCountIs('AWS::S3::Bucket', 0);
    expect(Object.values(recoverySite.findResources('AWS::EC2::LaunchTemplate')).map((r) => r.Properties.LaunchTemplateName)).toEqual([
      'lifeboat-dr-zimporter',
    ]);
    expect(Object.values(protectedSite.findResources('AWS::EC2::LaunchTemplate')).map((r) => r.Properties.LaunchTemplateName)).toEqual(['lifeboat-dr-zsat']);
    recoverySite.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    protectedSite.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    // each region sweeps its own leftovers and has its own alert topic (an alarm notifies a topic of its region only)
    for (const t of [recoverySite, protectedSite]) t.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('puts the sync beside the instances and the failback and the journal, with the RPO alarm, beside the replica', () => {
    expect(machines(protectedVpg)).toEqual(['lifeboat-dr-web-sync']);
    expect(machines(recoveryVpg).sort()).toEqual(['lifeboat-dr-web-failback', 'lifeboat-dr-web-journal']);
    const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties.AlarmName);
    expect(alarms(protectedVpg)).toEqual(['lifeboat-dr-web-sync-failed']);
    expect(alarms(recoveryVpg).sort()).toEqual(['lifeboat-dr-web-failback-failed', 'lifeboat-dr-web-journal-failed', 'lifeboat-dr-web-rpo']);
    protectedVpg.resourceCountIs('AWS::Events::Rule', 1);
    // the journal's schedule
    recoveryVpg.resourceCountIs('AWS::Events::Rule', 1);
  });

  it("names the recovery site's bucket on the protected side, and tells the zSATs its region", () => {
    const bucketName = /lifeboat-dr-.*-eu-west-1/;
    expect(flatten(protectedVpg.toJSON())).toMatch(bucketName);
    const template = Object.values(protectedSite.findResources('AWS::EC2::LaunchTemplate'))[0];
    expect(flatten(template.Properties.LaunchTemplateData.UserData)).toContain('export LIFEBOAT_STORE_REGION=eu-west-1');
    const syncEnv = Object.values(protectedVpg.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(syncEnv.LIFEBOAT_BUCKET_REGION).toBe('eu-west-1');
  });

  it("lets the recovery site's failback stop the sources and run the final sync in the protected region", () => {
    const failback = flatten(roleStatements(recoveryVpg, 'StepRolesFailback'));
    expect(failback).toContain('states:us-east-1');
    expect(failback).toContain('ec2:us-east-1');
    const env = Object.values(recoveryVpg.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
    expect(env.LIFEBOAT_PROTECTED_REGION).toBe('us-east-1');
  });
});

describe('placement errors', () => {
  it('refuses a recovery site without a known protected region, and one in the protected region itself', () => {
    expect(() => sitePlacement(config, undefined)).toThrow(PlacementError);
    expect(() => sitePlacement(config, { region: 'eu-west-1' })).toThrow(/the protected region itself/);
    expect(() =>
      sitePlacement(parseConfig({ ...CONFIG, recoverySite: { region: 'eu-west-1', account: '222222222222' } }, 't'), { region: 'us-east-1' }),
    ).toThrow(/needs the protected account/);
  });

  it('names the keys that cannot go with a recovery site', () => {
    expect(configProblems({ ...CONFIG, store: { bucketName: 'my-bucket', region: 'eu-central-1' } })).toEqual([
      expect.stringMatching(/: store\.region: .*differs from recoverySite\.region.*remove store\.region or make it eu-west-1/),
    ]);
    expect(configProblems({ ...CONFIG, store: { encryption: 'kms' } })).toEqual([
      expect.stringMatching(/: store\.encryption: "kms" is not yet supported with recoverySite/),
    ]);
    expect(configProblems({ ...CONFIG, recoverySite: { region: 'mars-1' } })).toEqual([expect.stringMatching(/: recoverySite\.region: .*AWS region/)]);
  });
});
