/** `lifeboat failback-cleanup <vpg>`: terminate the VPG's test recovered VMs, delete their volumes, deregister their images (EC2 API directly). */
import type { Command } from 'commander';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import { Ec2Adapter, makeEc2Client } from '../../runtime/aws/ec2-adapter';
import { Ec2Images } from '../../runtime/aws/ec2-images';
import { StepFunctionsExecutions } from '../../runtime/aws/sfn-executions';
import { DEFAULT_CONFIG, findStateMachineArn, openSite, requireVpg } from './context';

export function register(program: Command): void {
  program
    .command('failback-cleanup')
    .description('remove the test VMs of a VPG (recovered VMs tagged as test, of this site and VPG), their volumes and the images they booted')
    .argument('<vpg>', 'VPG name from the config')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, opts: { config: string }) => {
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      // a test VM is removed only if one of this VPG's failback executions made it (no look-alikes)
      const failbacks = { stateMachineArn: await findStateMachineArn(site, vpg, 'failback'), executions: new StepFunctionsExecutions(site.recoverySfn) };
      // the test VMs, their volumes and images are in the recovery region
      const ec2 = makeEc2Client(site.recoveryRegion ? { region: site.recoveryRegion } : {});
      const report = await removeTestRecoveredVms(new Ec2Adapter(ec2), { siteId: site.config.siteId, vpg, failbacks, images: new Ec2Images(ec2) });
      for (const r of report.refused) console.log(`left alone ${r.id}: ${r.reason}`);
      for (const id of report.terminatedInstances) console.log(`terminated ${id}`);
      for (const id of report.deletedVolumes) console.log(`deleted ${id}`);
      for (const id of report.deregisteredImages) console.log(`deregistered ${id}`);
      for (const id of report.deletedSnapshots) console.log(`deleted ${id}`);
      const removed = [report.terminatedInstances, report.deletedVolumes, report.deregisteredImages, report.deletedSnapshots].flat();
      if (removed.length === 0) console.log(`no test VMs of ${vpg} to remove`);
      if (report.volumesLeft.length > 0) throw new Error(`volumes still attached, run again later: ${report.volumesLeft.join(', ')}`);
    });
}
