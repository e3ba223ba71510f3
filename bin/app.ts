/**
 * The CDK app: `npx cdk synth -c config=PATH` (default ./lifeboat.config.json).
 * The config is read once; an invalid one fails the synth with one line per problem, naming each bad key.
 */
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfig, type SiteConfig } from '../lib/config';
import { addLifeboat } from '../lib/lifeboat-app';
import { PlacementError } from '../lib/site-placement';

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

const config = readConfig();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
// Environment-agnostic unless the CLI knows the account; a recovery site elsewhere pins the protected side to the
// region the CLI deploys to (it always passes one), so that the recovery site can name what runs there.
const env = account ? { account, region } : config.recoverySite ? { region } : undefined;
try {
  addLifeboat(app, config, {
    env,
    // cdk-nag's AwsSolutions pack: an unacknowledged finding fails the synth (lib/nag.ts).
    nag: true,
  });
} catch (err) {
  if (!(err instanceof PlacementError)) throw err;
  console.error(`Invalid Lifeboat config: ${configPath}: ${err.message}`);
  process.exit(1);
}
app.synth();
