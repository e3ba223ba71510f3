/**
 * cdk-nag's AwsSolutions pack over the whole app: no finding without an acknowledgement that gives its reason.
 * The pack runs on the synthesized app, as under `cdk synth`: cross-stack references are then `Fn::ImportValue`s.
 */
process.env.CDK_VALIDATION = 'false';
import { App, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parseConfig } from '../../lib/config';
import { addLifeboat } from '../../lib/lifeboat-app';
import { nagReport } from '../../lib/nag';
import { FULL_CONFIG, MINIMAL_CONFIG } from './synth-fixture';
import { stubSources } from './stub-handlers';

const STUB_SOURCES = stubSources();

const appOf = (config: unknown) => {
  const app = new App();
  addLifeboat(app, parseConfig(config, 'test'), STUB_SOURCES);
  return app;
};
/** Synthesis first: it turns cross-stack references into imports, which is what cdk-nag sees at `cdk synth`. */
const synthesizedReport = (app: App) => {
  app.synth();
  return nagReport(app);
};
const findings = (app: App) => synthesizedReport(app).violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
let full: App;
beforeAll(() => {
  full = appOf(FULL_CONFIG);
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the full app (two VPGs, KMS, object lock, VPC)', () => {
    expect(findings(full)).toEqual([]);
  });

  it('finds nothing unacknowledged in a site split across two regions (the journal state machine in the recovery site)', () => {
    const app = new App();
    addLifeboat(app, parseConfig({ ...MINIMAL_CONFIG, recoverySite: { region: 'eu-west-1' } }, 'test'), { ...STUB_SOURCES, env: { region: 'us-east-1' } });
    expect(findings(app)).toEqual([]);
  });

  it('finds nothing unacknowledged in the minimal app (defaults everywhere)', () => {
    expect(findings(appOf(MINIMAL_CONFIG))).toEqual([]);
  });

  it('would report a finding nobody acknowledged, named as cdk synth renders it (the check is live)', () => {
    const app = new App();
    const { site, vpgs } = addLifeboat(app, parseConfig(MINIMAL_CONFIG, 'test'), STUB_SOURCES);
    // a role with a wildcard action and no acknowledgement
    site.sweeper.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:Get*'], resources: [site.bucket.bucketArn] }));
    // a VPG role reaching the site's bucket through a cross-stack reference: after synthesis, an import
    vpgs[0].zsatAgentRole!.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [site.bucket.arnForObjects('other/*')] }));
    const ids = synthesizedReport(app).violations.map((v) => v.ruleName);
    expect(ids).toContain('AwsSolutions-IAM5[Action::s3:Get*]');
    expect(ids).toContainEqual(
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::Lifeboat-site-m:ExportsOutputFnGetAttReplicaStoreBucket[0-9A-F]+Arn[0-9A-F]+\/other\/\*\]$/),
    );
  });

  it('every acknowledgement carries a reason of substance', () => {
    const acks = full.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(10);
    for (const [id, reason] of acks) expect({ id, substantial: reason.length > 40 }).toEqual({ id, substantial: true });
  });
});
