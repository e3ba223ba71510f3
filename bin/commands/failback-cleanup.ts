/** `lifeboat failback-cleanup <vpg>`: terminate the VPG's test recovered VMs and delete their volumes (EC2 API directly). */
import type { Command } from 'commander';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import { Ec2Adapter, makeEc2Client } from '../../runtime/aws/ec2-adapter';
import { StepFunctionsExecutions } from '../../runtime/aws/sfn-executions';
import { DEFAULT_CONFIG, findStateMachineArn, openSite, requireVpg } from './context';

export function register(program: Command): void {
  program
    .command('failback-cleanup')
    .description('remove the test VMs of a VPG (recovered VMs tagged as test, of this site and VPG) and their volumes')
    .argument('<vpg>', 'VPG name from the config')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, opts: { config: string }) => {
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      // a test VM is removed only if one of this VPG's failback executions made it (no look-alikes)
      const failbacks = { stateMachineArn: await findStateMachineArn(site, vpg, 'failback'), executions: new StepFunctionsExecutions(site.recoverySfn) };
      const report = await removeTestRecoveredVms(new Ec2Adapter(makeEc2Client(site.recoveryRegion ? { region: site.recoveryRegion } : {})), {
        siteId: site.config.siteId,
        vpg,
        failbacks,
      });
      for (const r of report.refused) console.log(`left alone ${r.id}: ${r.reason}`);
      for (const id of report.terminatedInstances) console.log(`terminated ${id}`);
      for (const id of report.deletedVolumes) console.log(`deleted ${id}`);
      if (report.terminatedInstances.length === 0 && report.deletedVolumes.length === 0) console.log(`no test VMs of ${vpg} to remove`);
      if (report.volumesLeft.length > 0) throw new Error(`volumes still attached, run again later: ${report.volumesLeft.join(', ')}`);
    });
}
