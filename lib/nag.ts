/**
 * cdk-nag (AwsSolutions pack) for the Lifeboat app: `cdk synth` fails on any finding not acknowledged. The
 * acknowledgements live on the constructs that cause them (lib/nag-acks.ts holds their shared wording).
 */
import { Validations, type App } from 'aws-cdk-lib';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Registers the AwsSolutions pack as a policy validation plugin: `cdk synth` fails on any unacknowledged finding. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** The AwsSolutions report of a construct tree (tests). */
export function nagReport(scope: IConstruct): PolicyValidationPluginReport {
  return new AwsSolutionsChecks(scope).validateScope(scope);
}
