/**
 * The Step Functions wire protocol (AWS JSON 1.0): `X-Amz-Target: AWSStepFunctions.<Operation>`,
 * JSON bodies, timestamps as epoch seconds, errors as {"__type", "message"} with status 400.
 * Shapes follow @aws-sdk/client-sfn's schemas.
 */
import type { CloudRequest, CloudResponse } from '../service';
import { AwsError } from '../service';
import type { ExecutionRecord } from './execution';
import type { HistoryEventRecord } from './history';

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

export type Operation = (input: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

export async function handleJsonRequest(req: CloudRequest, operations: Record<string, Operation>): Promise<CloudResponse> {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (!target.startsWith(TARGET_PREFIX)) throw new AwsError('UnknownOperationException', `missing or unknown X-Amz-Target: ${target}`);
  const name = target.slice(TARGET_PREFIX.length);
  const op = operations[name];
  if (!op) throw new AwsError('UnknownOperationException', `${name} is not supported by the offline cloud`);
  let input: Record<string, unknown>;
  try {
    input = req.body.length ? (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>) : {};
  } catch {
    throw new AwsError('SerializationException', 'request body is not valid JSON');
  }
  const output = await op(input);
  return { status: 200, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(output) };
}

export function jsonError(status: number, code: string, message: string): CloudResponse {
  return { status, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify({ __type: code, message }) };
}

/** Epoch milliseconds → the epoch seconds AWS JSON protocols carry. */
export const epochSeconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

export function renderExecutionItem(r: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: epochSeconds(r.startDate),
    stopDate: epochSeconds(r.stopDate),
  };
}

export function renderDescribeExecution(r: ExecutionRecord): Record<string, unknown> {
  return {
    ...renderExecutionItem(r),
    input: r.input,
    inputDetails: { included: true },
    output: r.output,
    outputDetails: r.output !== undefined ? { included: true } : undefined,
    error: r.error,
    cause: r.cause,
  };
}

export function renderHistoryEvent(e: HistoryEventRecord): Record<string, unknown> {
  return { ...e, timestamp: epochSeconds(e.timestamp) };
}

export function requireString(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (typeof v !== 'string' || v === '') throw new AwsError('ValidationException', `1 validation error detected: '${field}' must not be null`);
  return v;
}

/** Offset-based pagination tokens over an already ordered list. */
export function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown, defaultSize = 100): { page: T[]; nextToken?: string } {
  const start = typeof nextToken === 'string' && nextToken ? Number(nextToken) : 0;
  if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidToken', 'invalid nextToken');
  const size = typeof maxResults === 'number' && maxResults > 0 ? Math.min(maxResults, 1000) : defaultSize;
  const page = items.slice(start, start + size);
  return { page, nextToken: start + size < items.length ? String(start + size) : undefined };
}
