/**
 * `lifeboat failback <vpg> [--checkpoint …] [--mode test|live|failover] [--wait]`: start a failback (recovery) of a VPG;
 * with --wait, follow it (importer progress from the store) and print the recovered instances.
 */
import type { Command } from 'commander';
import type { AgentProgress } from '../../runtime/core/workers/agent-job';
import { FAILBACK_MODES, type FailbackOutput } from '../../runtime/core/failback/contract';
import { importerJobId, importIdFor } from '../../runtime/core/failback/recovery-plan';
import { importProgressKey } from '../../runtime/core/store/format';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { DEFAULT_CONFIG, findStateMachineArn, openSite, openStore, requireVpg, UsageError } from './context';
import { readableCause, startExecution, waitForExecution } from './executions';

/** Importers write in parallel; their progress files are imp-0, imp-1, … (at most the Map's 40). */
async function importProgress(store: S3ReplicaStore, vpg: string, executionArn: string): Promise<{ done: number; total: number } | undefined> {
  const importId = importIdFor(executionArn);
  let done = 0;
  let total = 0;
  for (let i = 0; i < 40; i++) {
    const p = await store.getJson<AgentProgress>(importProgressKey(vpg, importId, importerJobId(i)));
    if (!p) break;
    done += p.blocksDone;
    total += p.blocksTotal;
  }
  return total > 0 ? { done, total } : undefined;
}

export function register(program: Command): void {
  program
    .command('failback')
    .description(
      'recover a VPG from a checkpoint: "test" launches drill VMs (remove them with failback-cleanup), "live" stops the source, syncs once more and recovers, ' +
        '"failover" recovers in a disaster without touching the protected side and keeps the VMs',
    )
    .argument('<vpg>', 'VPG name from the config')
    .option('--checkpoint <checkpoint>', '"latest", a checkpoint id, or an ISO time (the last checkpoint at or before it)', 'latest')
    .option('--mode <mode>', 'test (a drill), live (a planned migration) or failover (a disaster)', 'test')
    .option('--wait', 'follow the failback; exit 0 once the recovered VMs run, 1 if it failed')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, opts: { checkpoint: string; mode: string; wait?: boolean; config: string }) => {
      if (!(FAILBACK_MODES as readonly string[]).includes(opts.mode)) {
        throw new UsageError(
          `--mode must be one of ${FAILBACK_MODES.join(', ')} (got '${opts.mode}'): test for a drill, live for a planned migration, failover when the protected side is down`,
        );
      }
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      const arn = await findStateMachineArn(site, vpg, 'failback');
      const executionArn = await startExecution(site.recoverySfn, arn, { checkpoint: opts.checkpoint, mode: opts.mode }, `${opts.mode}`);
      console.log(`failback of ${vpg} (${opts.mode}, checkpoint ${opts.checkpoint}) started: ${executionArn}`);
      if (!opts.wait) return;
      const store = await openStore(site, vpg);
      const exec = await waitForExecution(site.recoverySfn, executionArn, { label: `failback ${vpg}`, detail: () => importProgress(store, vpg, executionArn) });
      if (exec.status !== 'SUCCEEDED') throw new Error(`failback of ${vpg} ${exec.status?.toLowerCase()}: ${readableCause(exec)}`);
      const out = JSON.parse(exec.output ?? '{}') as FailbackOutput;
      console.log(`recovered checkpoint ${out.checkpointId} (${out.mode}) in ${out.durationSeconds} s:`);
      for (const r of out.recoveredInstances) console.log(`  ${r.sourceInstanceId} -> ${r.instanceId}`);
    });
}
