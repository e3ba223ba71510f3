/**
 * Answers a CloudFormation custom resource request: a PUT of the response JSON to the request's pre-signed
 * ResponseURL, with an empty content type as the signature expects.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceAnswer {
  readonly status: 'SUCCESS' | 'FAILED';
  /** Shown in the stack's events and by `cdk deploy` when FAILED. */
  readonly reason?: string;
  readonly physicalResourceId: string;
  readonly data?: Record<string, string>;
}

export async function sendCustomResourceAnswer(event: CustomResourceEvent, answer: CustomResourceAnswer): Promise<void> {
  const body = JSON.stringify({
    Status: answer.status,
    Reason: answer.reason ?? answer.status,
    PhysicalResourceId: answer.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: answer.data ?? {},
  });
  const res = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!res.ok) throw new Error(`the CloudFormation response URL answered HTTP ${res.status}`);
}
