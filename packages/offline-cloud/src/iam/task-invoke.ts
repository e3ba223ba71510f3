/**
 * A state machine invokes its Lambda tasks with its execution role (RoleArn), which needs lambda:InvokeFunction on
 * the function (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html). A denial fails
 * the task as Step Functions reports a Lambda service error: `Lambda.AWSLambdaException`, whose cause carries
 * Lambda's AccessDeniedException (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html).
 * A role the assembly did not deploy (a state machine registered without one) is not evaluated.
 */
import { evaluate, sessionArn } from './evaluate';
import type { IamRegistry } from './registry';

export async function authorizeTaskInvoke(iam: IamRegistry, roleArn: string, functionArn: string, region: string): Promise<void> {
  const role = iam.roleByArn(roleArn);
  if (!role) return;
  const verdict = await evaluate(iam, role, region, [{ action: 'lambda:InvokeFunction', resource: functionArn, context: {} }]);
  if (verdict.allowed) return;
  const err = new Error(
    `User: ${sessionArn(role)} is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn} because no identity-based policy allows the lambda:InvokeFunction action (Service: Lambda, Status Code: 403, Error Code: AccessDeniedException)`,
  );
  err.name = 'Lambda.AWSLambdaException';
  throw err;
}
