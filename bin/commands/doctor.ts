/**
 * `lifeboat doctor [--json]`: the preflight. Reads the config and the account (AWS or the offline cloud) and says,
 * one line per check, what a first sync and a failback of every VPG still need (bin/doctor/run-doctor.ts). Exit 0
 * when nothing blocks them (warnings allowed), 1 when something does, 2 on bad usage (a bad config).
 */
import type { Command } from 'commander';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { makeS3Client } from '../../runtime/aws/s3-client';
import { doctorExitCode, renderReport } from '../doctor/doctor-model';
import { runDoctor, type DoctorClients } from '../doctor/run-doctor';
import { useColour } from '../status/status-table';
import { DEFAULT_CONFIG, loadConfigAsUsage } from './context';

/**
 * Clients of the SDK's default chain (AWS_REGION, AWS_ENDPOINT_URL, credentials), in `region` when given (the
 * recovery site's); S3 follows a bucket's region.
 */
export function doctorClients(region?: string): DoctorClients {
  const retry = { maxAttempts: 8, ...(region ? { region } : {}) };
  return {
    ec2: new EC2Client(retry),
    sfn: new SFNClient(retry),
    kms: new KMSClient(retry),
    // IAM is global: its endpoint is us-east-1's (https://docs.aws.amazon.com/general/latest/gr/iam-service.html)
    iam: new IAMClient({ ...retry, region: 'us-east-1' }),
    s3: makeS3Client({ ...retry, followRegionRedirects: true }),
    sns: new SNSClient(retry),
    quotas: new ServiceQuotasClient(retry),
  };
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('preflight: check the account has what a first sync and a failback of every VPG need (one line per check, with the fix)')
    .option('--json', 'print a JSON object {ok, problems, warnings, checks: [{vpg, check, status, detail, fix}]}')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (opts: { json?: boolean; config: string }) => {
      // a bad config is bad usage (exit 2), so exit 1 keeps meaning "something blocks a sync or a failback"
      const config = loadConfigAsUsage(opts.config);
      const here = doctorClients();
      const recoveryRegion = config.recoverySite?.region;
      const report = await runDoctor(config, here, recoveryRegion ? doctorClients(recoveryRegion) : here);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(renderReport(report, useColour(process.stdout, process.env)));
      process.exitCode = doctorExitCode(report);
    });
}
