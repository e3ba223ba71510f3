/** The apps the template tests synthesize once per file (stub handlers and agent, so synth is quick). */
// CDK's built-in CloudFormation schema validation costs seconds per synth; `npx cdk synth` still runs it for users.
process.env.CDK_VALIDATION = 'false';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type SiteConfig } from '../../lib/config';
import { addLifeboat, type LifeboatStacks } from '../../lib/lifeboat-app';
import { STUB_SOURCES } from './template-helpers';

export const SITE = 'site-t';
/** Two VPGs, a VPC with a subnet per zone and an S3 gateway endpoint, KMS, object lock, a Graviton importer: every branch of the stacks. */
export const FULL_CONFIG = {
  siteId: SITE,
  vpgs: [
    { name: 'web', instances: { tags: { app: 'web' } }, syncIntervalMinutes: 10, journalHours: 24 },
    { name: 'db', instances: { ids: ['i-0123456789abcdef0'] }, syncIntervalMinutes: 60, journalHours: 48 },
  ],
  store: { encryption: 'kms', objectLock: { mode: 'GOVERNANCE', days: 7 } },
  agent: {
    vpcId: 'vpc-0123456789abcdef0',
    subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    s3GatewayEndpoint: { routeTableIds: ['rtb-0123456789abcdef0'] },
    maxZsats: 12,
  },
  // no network keys of its own: the importers run where the zSATs run
  importer: { instanceType: 'm7g.large' },
};

export interface SynthesizedSite {
  readonly config: SiteConfig;
  readonly stacks: LifeboatStacks;
  readonly site: Template;
  readonly vpgs: readonly Template[];
}

export function synthesize(json: unknown): SynthesizedSite {
  const config = parseConfig(json, 'test');
  const stacks = addLifeboat(new App(), config, STUB_SOURCES);
  return { config, stacks, site: Template.fromStack(stacks.site), vpgs: stacks.vpgs.map((s) => Template.fromStack(s)) };
}

/** The smallest config: defaults everywhere. */
export const MINIMAL_CONFIG = { siteId: 'site-m', vpgs: [{ name: 'web', instances: { tags: { app: 'web' } } }] };
