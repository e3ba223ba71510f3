/**
 * `lifeboat demo` (`npm start`): the main job, on the offline cloud. Synthesizes the app from the example
 * config (with a recovery site in another region), deploys it into a fresh offline cloud, plays a protected
 * workload, runs two syncs, proves the replica reproduces each volume at each checkpoint, runs a drill and an
 * export in the recovery site, then takes the protected region down and fails over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CONFIG } from './context';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run the main job on the offline cloud: protect a workload into another region, sync twice, verify, drill, export, fail over with the protected region down',
    )
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .option('--dense-mib <n>', 'MiB of random data on the dense volume', (v) => parseInt(v, 10), 256)
    .option('--keep', 'keep the offline cloud running at the end (Ctrl-C to stop)')
    .option('--recovery-region <region>', 'the recovery site, when the config names no recoverySite', 'eu-west-1')
    .action(async (opts: { config: string; denseMib: number; keep?: boolean; recoveryRegion: string }) => {
      // loaded on use: the demo pulls in the CDK-free but heavy cloud and SDK modules
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runDemo } = require('../demo/demo') as typeof import('../demo/demo');
      const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-demo-'));
      const ok = await runDemo({ configPath: opts.config, workDir, denseMiB: opts.denseMib, keep: Boolean(opts.keep), recoveryRegion: opts.recoveryRegion });
      if (!ok) throw new Error('the demo found a checkpoint that does not match its volume (see above)');
    });
}
