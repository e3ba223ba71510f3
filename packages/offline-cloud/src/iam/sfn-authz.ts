/**
 * Step Functions (AWS JSON 1.0) requests → authorizations, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html): state machine
 * actions on the stateMachine ARN, execution actions on the execution ARN, ListStateMachines on '*'.
 */
import type { CloudRequest } from '../service';
import type { AuthzCheck } from './evaluate';

const RESOURCE_FIELD: Record<string, string> = {
  StartExecution: 'stateMachineArn',
  StartSyncExecution: 'stateMachineArn',
  ListExecutions: 'stateMachineArn',
  DescribeStateMachine: 'stateMachineArn',
  DeleteStateMachine: 'stateMachineArn',
  UpdateStateMachine: 'stateMachineArn',
  DescribeExecution: 'executionArn',
  StopExecution: 'executionArn',
  GetExecutionHistory: 'executionArn',
  DescribeStateMachineForExecution: 'executionArn',
  ListTagsForResource: 'resourceArn',
  TagResource: 'resourceArn',
  UntagResource: 'resourceArn',
};

export function sfnChecks(req: CloudRequest): AuthzCheck[] {
  const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
  let input: Record<string, unknown>;
  try {
    input = req.body.length ? (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>) : {};
  } catch {
    return []; // the service answers SerializationException itself
  }
  const field = RESOURCE_FIELD[operation];
  const resource = field && typeof input[field] === 'string' ? input[field] : '*';
  return [{ action: `states:${operation}`, resource, context: {} }];
}
