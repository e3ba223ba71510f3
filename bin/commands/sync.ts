/** `lifeboat sync <vpg> [--wait]`: start a sync now; with --wait, follow it and exit 0 only once it committed. */
import type { Command } from 'commander';
import { DEFAULT_CONFIG, findStateMachineArn, openSite, requireVpg } from './context';
import { readableCause, startExecution, waitForSync } from './executions';
import type { SyncExecutionOutput } from '../../runtime/core/sync/contract';

export function register(program: Command): void {
  program
    .command('sync')
    .description('start a sync of a VPG now')
    .argument('<vpg>', 'VPG name from the config')
    .option('--wait', 'wait for the sync to finish; exit 0 once it committed a checkpoint, 1 if it failed or was skipped')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, opts: { wait?: boolean; config: string }) => {
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      const arn = await findStateMachineArn(site, vpg, 'sync');
      const executionArn = await startExecution(site.sfn, arn, {}, 'manual');
      console.log(`sync of ${vpg} started: ${executionArn}`);
      if (!opts.wait) return;
      const { last: exec, chain } = await waitForSync(site.sfn, executionArn, { label: `sync ${vpg}` });
      if (chain.length > 1) console.log(`sync of ${vpg} continued as ${chain.length - 1} new execution(s); last: ${chain[chain.length - 1]}`);
      if (exec.status !== 'SUCCEEDED') throw new Error(`sync of ${vpg} ${exec.status?.toLowerCase()}: ${readableCause(exec)}`);
      const out = JSON.parse(exec.output ?? '{}') as SyncExecutionOutput;
      if (out.begin?.skipped) throw new Error(`sync of ${vpg} did not run: ${out.begin.reason ?? 'skipped'}`);
      const c = out.commit;
      if (!c) throw new Error(`sync of ${vpg} ended without committing a checkpoint (no commit in its output)`);
      console.log(
        `checkpoint ${c.checkpointId} committed: ${c.blocksRead}/${c.blocksPlanned} blocks read, ${c.bytesRead} bytes read, ${c.bytesStored} bytes stored`,
      );
    });
}
