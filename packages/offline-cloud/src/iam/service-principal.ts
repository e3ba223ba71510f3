/**
 * A request an AWS service makes as its service principal on a customer's behalf (CloudWatch publishing an alarm's
 * notification to an SNS topic): only the resource's policy can allow it, and the service puts the source of the
 * request in `aws:SourceArn` and `aws:SourceAccount`, which policies use against the confused deputy problem
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cross-service-confused-deputy-prevention.html).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from './registry';

export interface ServiceRequest {
  /** e.g. cloudwatch.amazonaws.com */
  service: string;
  action: string;
  resource: string;
  resourceAccount: string;
  sourceArn: string;
  sourceAccount: string;
  region: string;
}

export async function servicePrincipalAllowed(req: ServiceRequest, resourcePolicy: PolicyDocument): Promise<boolean> {
  const result = await runSimulation(
    {
      request: {
        principal: req.service,
        action: req.action,
        resource: { resource: req.resource, accountId: req.resourceAccount },
        contextVariables: {
          'aws:SourceArn': req.sourceArn,
          'aws:SourceAccount': req.sourceAccount,
          'aws:PrincipalServiceName': req.service,
          'aws:RequestedRegion': req.region,
          'aws:SecureTransport': 'true',
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    {},
  );
  return result.resultType !== 'error' && result.overallResult === 'Allowed';
}
