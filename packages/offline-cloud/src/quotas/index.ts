/**
 * Service Quotas as the edge serves it (JSON 1.1, X-Amz-Target ServiceQuotasV20190624.*:
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/Welcome.html), for the one quota the cloud
 * enforces: EC2's Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, L-1216C47A, in vCPUs, the
 * figure RunInstances answers `VcpuLimitExceeded` past (../ec2/capacity.ts). GetServiceQuota answers the applied
 * value (`--vcpu-quota`), GetAWSDefaultServiceQuota AWS's default for a new account, ListServiceQuotas both
 * forms of the list; an unknown service or quota is NoSuchResourceException
 * (https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html). A deployed
 * role is evaluated for servicequotas:<Operation> on the quota's ARN
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_servicequotas.html).
 */
import { DEFAULT_VCPU_QUOTA, limitsOf } from '../aws-rates';
import type { CloudContext } from '../context';
import { evaluate } from '../iam/evaluate';
import { callerOf } from '../kms/index';
import { AwsError, type CloudRequest, type CloudResponse, type Service } from '../service';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET = 'ServiceQuotasV20190624.';
export const STANDARD_VCPU_QUOTA_CODE = 'L-1216C47A';

interface QuotaQuery {
  region: string;
  /** '' for AWS's default (its ARN names no account). */
  account: string;
  value: number;
}

function quota(q: QuotaQuery): Record<string, unknown> {
  return {
    ServiceCode: 'ec2',
    ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)',
    QuotaArn: `arn:aws:servicequotas:${q.region}:${q.account}:ec2/${STANDARD_VCPU_QUOTA_CODE}`,
    QuotaCode: STANDARD_VCPU_QUOTA_CODE,
    QuotaName: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
    Value: q.value,
    Unit: 'None',
    Adjustable: true,
    GlobalQuota: false,
    UsageMetric: {
      MetricNamespace: 'AWS/Usage',
      MetricName: 'ResourceCount',
      MetricDimensions: { Class: 'Standard/OnDemand', Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
      MetricStatisticRecommendation: 'Maximum',
    },
    QuotaAppliedAtLevel: 'ACCOUNT',
  };
}

function requireKnown(input: Record<string, unknown>, needsCode: boolean): void {
  if (typeof input.ServiceCode !== 'string') throw new AwsError('IllegalArgumentException', 'ServiceCode is required.');
  if (input.ServiceCode !== 'ec2')
    throw new AwsError('NoSuchResourceException', `The request failed because the specified service does not exist: ${input.ServiceCode}.`);
  if (needsCode && input.QuotaCode !== STANDARD_VCPU_QUOTA_CODE) {
    throw new AwsError(
      'NoSuchResourceException',
      `The request failed because the specified quota does not exist: ${String(input.QuotaCode ?? '')}. (The offline cloud models ${STANDARD_VCPU_QUOTA_CODE} only.)`,
    );
  }
}

export function createServiceQuotasService(ctx: CloudContext): Service {
  const json = (status: number, body: unknown): CloudResponse => ({ status, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(body) });
  const error = (status: number, code: string, message: string) => json(status, { __type: code, Message: message });
  const applied = (req: CloudRequest) => ({ region: req.region, account: req.account, value: limitsOf(ctx).vcpuQuota });
  const operations: Record<string, (req: CloudRequest, input: Record<string, unknown>) => unknown> = {
    GetServiceQuota: (req, input) => (requireKnown(input, true), { Quota: quota(applied(req)) }),
    GetAWSDefaultServiceQuota: (req, input) => (requireKnown(input, true), { Quota: quota({ region: req.region, account: '', value: DEFAULT_VCPU_QUOTA }) }),
    ListServiceQuotas: (req, input) => (requireKnown(input, false), { Quotas: [quota(applied(req))] }),
    ListAWSDefaultServiceQuotas: (req, input) => (
      requireKnown(input, false),
      { Quotas: [quota({ region: req.region, account: '', value: DEFAULT_VCPU_QUOTA })] }
    ),
  };
  return {
    names: ['servicequotas'],
    throttleCode: 'TooManyRequestsException',
    error,
    async handle(req: CloudRequest) {
      const target = String(req.headers['x-amz-target'] ?? '');
      const name = target.startsWith(TARGET) ? target.slice(TARGET.length) : '';
      const op = operations[name];
      if (!op) return error(400, 'UnknownOperationException', `The operation ${target || '(none)'} is not served by the offline Service Quotas.`);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return error(400, 'SerializationException', 'The request body is not valid JSON.');
      }
      const caller = callerOf(req, ctx.iam);
      if ('roleName' in caller) {
        const resource = `arn:aws:servicequotas:${req.region}:${req.account}:ec2/${STANDARD_VCPU_QUOTA_CODE}`;
        const verdict = await evaluate(ctx.iam!, caller, req.region, [
          { action: `servicequotas:${name}`, resource: name.startsWith('List') ? '*' : resource, context: {} },
        ]);
        if (!verdict.allowed)
          return error(400, 'AccessDeniedException', `User: ${caller.arn} is not authorized to perform: servicequotas:${name} on resource: ${resource}`);
      }
      try {
        return json(200, op(req, input));
      } catch (err) {
        if (err instanceof AwsError) return error(err.status, err.code, err.message);
        throw err;
      }
    },
  };
}
