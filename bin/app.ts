/**
 * The CDK app: `npx cdk synth -c config=PATH` (default ./lifeboat.config.json).
 * The config is read once; an invalid one fails the synth with one line per problem, naming each bad key.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig, type SiteConfig } from '../lib/config';
import { addLifeboat } from '../lib/lifeboat-app';

const app = new App();
const configPath = resolve(String(app.node.tryGetContext('config') ?? 'lifeboat.config.json'));

function readConfig(): SiteConfig {
  try {
    return loadConfig(configPath);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A stack trace would bury the lines that matter; CDK shows this output and fails the synth.
    console.error(`Invalid Lifeboat config (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}):\n${err.message}`);
    process.exit(1);
  }
}

addLifeboat(app, readConfig(), {
  env: process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } : undefined,
  // cdk-nag's AwsSolutions pack: an unacknowledged finding fails the synth (lib/nag.ts).
  nag: true,
});
app.synth();
