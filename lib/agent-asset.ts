/**
 * The instance agent as one JavaScript file, bundled with esbuild at synth time and published as a CDK file asset.
 * zSATs and ZImporters download and run it from their user data; the offline cloud runs the same file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BuildOptions, buildSync } from 'esbuild';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export interface AgentAssetProps {
  /**
   * The agent's entry file.
   * @default runtime/agent/main.ts of this project
   */
  readonly entry?: string;
}

export const DEFAULT_AGENT_ENTRY = resolve(__dirname, '..', 'runtime', 'agent', 'main.ts');

/** The hash worker's entry (runtime/agent/hash-pool.ts runs it as a worker thread). */
export const HASH_WORKER_ENTRY = resolve(__dirname, '..', 'runtime', 'agent', 'hash-worker.ts');

const NODE_BUNDLE: BuildOptions = {
  bundle: true,
  platform: 'node',
  // The user data installs Node.js 20 or newer.
  target: 'node20',
  format: 'cjs',
  // Self-contained: the SDK goes in too (nothing is installed on the instance but Node).
  external: [],
  logLevel: 'silent',
};

/**
 * Bundles `entry` into a fresh temp folder and returns the bundle's path: one file, with the hash worker's own
 * bundle inside it as source (LIFEBOAT_HASH_WORKER_SOURCE), which hash-pool.ts starts with `eval`.
 */
export function bundleAgent(entry: string): string {
  const worker = buildSync({ ...NODE_BUNDLE, entryPoints: [HASH_WORKER_ENTRY], write: false });
  const outfile = join(mkdtempSync(join(tmpdir(), 'lifeboat-agent-')), 'agent.js');
  buildSync({
    ...NODE_BUNDLE,
    entryPoints: [entry],
    outfile,
    define: { LIFEBOAT_HASH_WORKER_SOURCE: JSON.stringify(worker.outputFiles[0].text) },
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
