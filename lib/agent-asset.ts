/**
 * The instance agent as one JavaScript file, bundled with esbuild at synth time and published as a CDK file asset.
 * zSATs and ZImporters download and run it from their user data; the offline cloud runs the same file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export interface AgentAssetProps {
  /**
   * The agent's entry file.
   * @default lambda/agent/main.ts of this project
   */
  readonly entry?: string;
}

export const DEFAULT_AGENT_ENTRY = resolve(__dirname, '..', 'lambda', 'agent', 'main.ts');

/** Bundles `entry` into a fresh temp folder and returns the bundle's path. */
export function bundleAgent(entry: string): string {
  const outfile = join(mkdtempSync(join(tmpdir(), 'lifeboat-agent-')), 'agent.js');
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    // The user data installs Node.js 20 or newer.
    target: 'node20',
    format: 'cjs',
    // One self-contained file: the SDK goes in too (nothing is installed on the instance but Node).
    external: [],
    logLevel: 'silent',
  });
  return outfile;
}

export class AgentAsset extends Construct {
  readonly asset: s3assets.Asset;

  constructor(scope: Construct, id: string, props: AgentAssetProps = {}) {
    super(scope, id);
    this.asset = new s3assets.Asset(this, 'Bundle', { path: bundleAgent(props.entry ?? DEFAULT_AGENT_ENTRY) });
  }

  /** `s3://<asset bucket>/<asset key>` as tokens that resolve at deploy. */
  get s3Url(): string {
    return this.asset.s3ObjectUrl;
  }
}
