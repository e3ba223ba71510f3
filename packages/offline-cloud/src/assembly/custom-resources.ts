/**
 * CloudFormation custom resources backed by a Lambda function (`AWS::CloudFormation::CustomResource` and
 * `Custom::*` with a ServiceToken naming a function of the stack's region). As CloudFormation does, the deploy sends
 * the function a request (RequestType Create, or Update with the old properties and physical id, ResponseURL,
 * StackId, RequestId, ResourceType, LogicalResourceId, ResourceProperties) and waits for the answer the function
 * PUTs to the ResponseURL: SUCCESS gives the physical id and the Data that Fn::GetAtt reads; FAILED fails the
 * resource with CloudFormation's status reason.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 * Known differences: CloudFormation waits for an answer up to the ServiceTimeout (default 3,600 s); here a function
 * that returns (or fails) without answering fails the resource at once with the same text. The ResponseURL is an
 * offline cloud route, not a pre-signed S3 URL. Delete requests are not sent (stacks are never deleted here).
 */
import { randomUUID } from 'node:crypto';
import type { PathRoute } from '../edge';
import type { CloudResponse } from '../service';

export const CUSTOM_RESOURCE_RESPONSES_PREFIX = '/_lifeboat/cloudformation-responses/';

interface Answer {
  Status?: unknown;
  Reason?: unknown;
  PhysicalResourceId?: unknown;
  Data?: unknown;
}

/** The answers functions PUT, by request id, until the deploy takes them. */
export class CustomResourceResponses {
  private readonly answers = new Map<string, string>();
  private readonly expected = new Set<string>();

  route(): PathRoute {
    return {
      prefix: CUSTOM_RESOURCE_RESPONSES_PREFIX,
      handle: async (req): Promise<CloudResponse> => {
        const id = decodeURIComponent(req.path.slice(CUSTOM_RESOURCE_RESPONSES_PREFIX.length));
        if (req.method !== 'PUT') return { status: 405, headers: {}, body: '' };
        // a pre-signed URL answers 403 to anything it was not made for
        if (!this.expected.has(id)) return { status: 403, headers: {}, body: '' };
        this.answers.set(id, req.body.toString('utf8'));
        return { status: 200, headers: {}, body: '' };
      },
    };
  }

  open(endpoint: string): { requestId: string; responseUrl: string } {
    const requestId = randomUUID();
    this.expected.add(requestId);
    return { requestId, responseUrl: `${endpoint}${CUSTOM_RESOURCE_RESPONSES_PREFIX}${requestId}` };
  }

  take(requestId: string): string | undefined {
    this.expected.delete(requestId);
    const answer = this.answers.get(requestId);
    this.answers.delete(requestId);
    return answer;
  }
}

/** Where a deployed custom resource keeps the properties it was created with (an update's OldResourceProperties). */
export const CUSTOM_PROPERTIES = '\u0000properties';

export function isCustomResource(type: string): boolean {
  return type === 'AWS::CloudFormation::CustomResource' || type.startsWith('Custom::');
}

export interface CustomResourceEnv {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly endpoint: string;
  readonly responses: CustomResourceResponses;
  invokeFunction(arn: string, payload: unknown): Promise<unknown>;
  hasFunction(arn: string): boolean;
  /** The resource as deployed before (an update). */
  readonly previous?: { physicalId: string; properties?: Record<string, unknown> };
}

export type CustomResourceOutcome = { ok: true; physicalId: string; data: Record<string, unknown> } | { ok: false; reason: string };

export async function runCustomResource(
  logicalId: string,
  type: string,
  props: Record<string, unknown>,
  env: CustomResourceEnv,
): Promise<CustomResourceOutcome> {
  const token = String(props.ServiceToken ?? '');
  const m = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:[^:]+/.exec(token);
  // "The service token must be from the same Region in which you are creating the stack" (AWS::CloudFormation::CustomResource)
  if (!m || m[1] !== env.region || !env.hasFunction(token)) {
    return { ok: false, reason: `Invalid service token: ${token || '(none)'} is not a Lambda function of ${env.region}` };
  }
  const { requestId, responseUrl } = env.responses.open(env.endpoint);
  const event = {
    RequestType: env.previous ? 'Update' : 'Create',
    ServiceToken: token,
    ResponseURL: responseUrl,
    StackId: `arn:aws:cloudformation:${env.region}:${env.accountId}:stack/${env.stackName}/offline`,
    RequestId: requestId,
    ResourceType: type,
    LogicalResourceId: logicalId,
    ResourceProperties: props,
    ...(env.previous ? { PhysicalResourceId: env.previous.physicalId, OldResourceProperties: env.previous.properties ?? {} } : {}),
  };
  await env.invokeFunction(token, event).catch(() => undefined); // an error is the function's; only its answer counts
  const text = env.responses.take(requestId);
  if (text === undefined) {
    return { ok: false, reason: `CloudFormation did not receive a response from your Custom Resource. Please check your logs for requestId [${requestId}].` };
  }
  let answer: Answer;
  try {
    answer = JSON.parse(text) as Answer;
  } catch {
    return { ok: false, reason: `Invalid response object: the response of requestId [${requestId}] is not JSON` };
  }
  if (answer.Status === 'SUCCESS' && typeof answer.PhysicalResourceId === 'string' && answer.PhysicalResourceId !== '') {
    const data = typeof answer.Data === 'object' && answer.Data !== null ? (answer.Data as Record<string, unknown>) : {};
    return { ok: true, physicalId: answer.PhysicalResourceId, data };
  }
  if (answer.Status === 'FAILED') {
    return {
      ok: false,
      reason: `Received response status [FAILED] from custom resource. Message returned: ${String(answer.Reason ?? '')} (RequestId: ${requestId})`,
    };
  }
  return { ok: false, reason: `Invalid response object: Status must be SUCCESS or FAILED and PhysicalResourceId present (RequestId: ${requestId})` };
}
