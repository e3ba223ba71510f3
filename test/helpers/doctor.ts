/** `lifeboat doctor` run in-process against a test site's offline cloud, with its config (bin/doctor/run-doctor.ts). */
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { clientConfig } from '@lifeboat/offline-cloud/src/testing';
import { loadConfig } from '../../lib/config';
import type { DoctorCheck, DoctorReport } from '../../bin/doctor/doctor-model';
import { runDoctor, type DoctorClients } from '../../bin/doctor/run-doctor';
import type { TestSite } from './site';

/** As the CLI does: the recovery site's region read with clients of its own when the config names one. */
export function doctorOf(site: Pick<TestSite, 'url' | 'configPath'>): Promise<DoctorReport> {
  const clients = (region?: string): DoctorClients => {
    const config = { ...clientConfig(site.url), ...(region ? { region } : {}) };
    return {
      ec2: new EC2Client(config),
      sfn: new SFNClient(config),
      kms: new KMSClient(config),
      iam: new IAMClient({ ...config, region: clientConfig(site.url).region }),
      s3: new S3Client({ ...config, forcePathStyle: true }),
      sns: new SNSClient(config),
      quotas: new ServiceQuotasClient(config),
    };
  };
  const config = loadConfig(site.configPath);
  const here = clients();
  return runDoctor(config, here, config.recoverySite ? clients(config.recoverySite.region) : here);
}

/** The checks of one status, as `check: detail` lines (what a failing expectation shows). */
export const checksOf = (report: DoctorReport, status: DoctorCheck['status']) => report.checks.filter((c) => c.status === status);
