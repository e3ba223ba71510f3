/**
 * VcpuCapacityPort over EC2 and Service Quotas: the applied Standard On-Demand vCPU quota
 * (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html, ec2/L-1216C47A),
 * the instances pending or running (they count against it: https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html)
 * and their types' DefaultVCpus (DescribeInstanceTypes). Reads only.
 */
import { DescribeInstanceTypesCommand, type EC2Client, paginateDescribeInstances, type _InstanceType } from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { VcpuCapacityPort } from '../core/ports';
import { isStandardType, STANDARD_VCPU_QUOTA_CODE } from '../core/sync/vcpu-quota';
import { RETRY_CONFIG } from './aws-client-config';
import { awsCall, orWhenNotFound } from './aws-errors';
import { makeEc2Client } from './ec2-adapter';

/** The applied Standard On-Demand vCPU quota. Raw SDK errors: each caller translates them its own way. */
export async function appliedStandardVcpuQuota(quotas: ServiceQuotasClient): Promise<number> {
  const out = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: STANDARD_VCPU_QUOTA_CODE }));
  return out.Quota?.Value ?? 0;
}

/** Instance counts by type, pending or running (every account's instances: the quota is the account's). Raw SDK errors. */
export async function liveInstanceCounts(ec2: EC2Client): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const pages = paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] });
  for await (const page of pages)
    for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) out.set(i.InstanceType!, (out.get(i.InstanceType!) ?? 0) + 1);
  return out;
}

export class VcpuCapacity implements VcpuCapacityPort {
  private readonly sizes = new Map<string, Promise<number | null>>();

  constructor(
    private readonly ec2: EC2Client = makeEc2Client(),
    private readonly quotas: ServiceQuotasClient = new ServiceQuotasClient({ ...RETRY_CONFIG }),
  ) {}

  standardVcpuQuota(): Promise<number> {
    return awsCall('GetServiceQuota', () => appliedStandardVcpuQuota(this.quotas));
  }

  liveInstanceTypes(): Promise<Map<string, number>> {
    return awsCall('DescribeInstances', () => liveInstanceCounts(this.ec2));
  }

  async standardVcpusInUse(): Promise<number> {
    let sum = 0;
    for (const [type, count] of await this.liveInstanceTypes()) if (isStandardType(type)) sum += ((await this.vcpusOf(type)) ?? 0) * count;
    return sum;
  }

  vcpusOf(instanceType: string): Promise<number | null> {
    let known = this.sizes.get(instanceType);
    if (!known) {
      known = orWhenNotFound(
        'DescribeInstanceTypes',
        async () => {
          const out = await this.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }));
          return out.InstanceTypes?.[0]?.VCpuInfo?.DefaultVCpus ?? null;
        },
        null,
      );
      this.sizes.set(instanceType, known);
    }
    return known;
  }
}
