/**
 * Service Quotas through the real SDK: EC2's On-Demand Standard vCPU quota (L-1216C47A) is the figure
 * RunInstances enforces (--vcpu-quota), AWS's default is 5, an unknown quota is NoSuchResourceException, and a
 * deployed role needs servicequotas:GetServiceQuota.
 */
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ListServiceQuotasCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { clientConfig, startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, roleCredentials, writeAssembly } from './helpers/iam-assembly';
import { refusal } from './helpers/refusal';

const assembly = writeAssembly({
  Reader: role('QuotaReader', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: 'servicequotas:GetServiceQuota', Resource: '*' }]),
  Nobody: role('NoQuotas', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' }]),
});

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const STANDARD = { ServiceCode: 'ec2', QuotaCode: 'L-1216C47A' };

it('answers the applied vCPU quota (--vcpu-quota), AWS default 5, and the list of both', async () => {
  t = await startTestCloud({ vcpuQuota: 12 });
  const quotas = new ServiceQuotasClient(clientConfig(t.url, { maxAttempts: 1 }));
  const applied = await quotas.send(new GetServiceQuotaCommand(STANDARD));
  expect(applied.Quota).toMatchObject({
    ServiceCode: 'ec2',
    QuotaCode: 'L-1216C47A',
    QuotaArn: `arn:aws:servicequotas:${TEST_REGION}:000000000000:ec2/L-1216C47A`,
    QuotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    Value: 12,
    Unit: 'None',
    Adjustable: true,
  });
  expect((await quotas.send(new GetAWSDefaultServiceQuotaCommand(STANDARD))).Quota).toMatchObject({
    Value: 5,
    QuotaArn: `arn:aws:servicequotas:${TEST_REGION}::ec2/L-1216C47A`,
  });
  expect((await quotas.send(new ListServiceQuotasCommand({ ServiceCode: 'ec2' }))).Quotas?.map((q) => [q.QuotaCode, q.Value])).toEqual([['L-1216C47A', 12]]);
  expect(await refusal(quotas.send(new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' })))).toMatchObject({
    name: 'NoSuchResourceException',
    status: 400,
  });
  expect(await refusal(quotas.send(new ListServiceQuotasCommand({ ServiceCode: 'nosuch' })))).toMatchObject({ name: 'NoSuchResourceException', status: 400 });
  quotas.destroy();
});

it('lets a deployed role read the quota only with servicequotas:GetServiceQuota', async () => {
  t = await startTestCloud({ assemblyDir: assembly });
  const as = async (name: string) =>
    new ServiceQuotasClient({ endpoint: t!.url, region: TEST_REGION, credentials: await roleCredentials(t!.url, name), maxAttempts: 1 });
  const reader = await as('QuotaReader');
  const nobody = await as('NoQuotas');
  expect((await reader.send(new GetServiceQuotaCommand(STANDARD))).Quota?.Value).toBe(5);
  expect(await refusal(nobody.send(new GetServiceQuotaCommand(STANDARD)))).toMatchObject({ name: 'AccessDeniedException', status: 400 });
  reader.destroy();
  nobody.destroy();
});
