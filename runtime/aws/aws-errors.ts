/**
 * SDK exceptions → domain errors (runtime/core/errors.ts), so nothing outside runtime/aws inspects an SDK
 * exception. The AWS error code is kept in the message, the original error as `cause`.
 */
import { CapacityUnavailable, Conflict, QuotaFull, DomainError, InvalidInput, KMS_KEY_FIX, NotFound, ServiceError, Throttled } from '../core/errors';

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  // EBS direct APIs: "You have reached the limit for concurrent API requests"; retried with back-off like a throttle
  // (https://docs.aws.amazon.com/ebs/latest/APIReference/API_ListChangedBlocks.html#API_ListChangedBlocks_Errors)
  'ConcurrentLimitExceededException',
]);
const CONFLICT = new Set([
  'IncorrectState',
  'IncorrectInstanceState',
  'VolumeInUse',
  'IdempotentParameterMismatch',
  'InvalidSnapshot.InUse',
  'ConflictException',
  'ExecutionAlreadyExists',
]);

/** What an operator can do about each launch refusal (EC2's own message names the type and zone). */
const CAPACITY_ADVICE: Record<string, string> = {
  VcpuLimitExceeded:
    "the account's Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances vCPU quota in this region is full. " +
    'Ask for a higher quota (Service Quotas, EC2 quota L-1216C47A), or lower agent.maxZsats / importer.maxZsats or pick a smaller ' +
    'agent.instanceType / importer.instanceType in the site config (each zSAT or importer runs at once with the others)',
  InstanceLimitExceeded: "the account's On-Demand instance quota in this region is full. Ask for a higher quota in Service Quotas",
  Unsupported:
    "the worker instance type is not offered in the subnet's Availability Zone. Choose a type that zone offers " +
    '(aws ec2 describe-instance-type-offerings --location-type availability-zone) for agent.instanceType / importer.instanceType in the site config, or a subnet in a zone that offers it',
  InsufficientInstanceCapacity:
    'AWS has no capacity for the worker instance type in that Availability Zone right now. The next sync tries again; ' +
    'if it persists, choose another agent.instanceType / importer.instanceType in the site config',
};

export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  const code = e.Code ?? e.code ?? e.name;
  return typeof code === 'string' ? code : undefined;
}

export function toDomainError(err: unknown, operation: string): Error {
  if (err instanceof DomainError) return err;
  const code = awsErrorCode(err) ?? 'Error';
  const message = `${operation}: ${code}: ${err instanceof Error ? err.message : String(err)}`;
  if (/NotFound|DoesNotExist|NoSuchKey/.test(code)) return new NotFound(message, { cause: err });
  if (THROTTLING.has(code)) return new Throttled(message, { cause: err });
  if (operation === 'RunInstances' && CAPACITY_ADVICE[code]) {
    const Kind = code === 'VcpuLimitExceeded' || code === 'InstanceLimitExceeded' ? QuotaFull : CapacityUnavailable;
    return new Kind(`${message} — ${CAPACITY_ADVICE[code]}.`, { cause: err });
  }
  // KMS refused a use of a volume's key on the role's behalf: the message names the key (and KMS's reason)
  if (/AccessDenied|DisabledException|KMSInvalidState/.test(message) && /:kms:/.test(message))
    return new ServiceError(`${message} — ${KMS_KEY_FIX}.`, { cause: err });
  if (CONFLICT.has(code)) return new Conflict(message, { cause: err });
  if (/^(Invalid|MissingParameter|ValidationException)/.test(code)) return new InvalidInput(message, { cause: err });
  return new ServiceError(message, { cause: err });
}

/** Runs one SDK call, translating what it throws. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toDomainError(err, operation);
  }
}

/** Runs a lookup by id; a NotFound answer becomes `fallback` (EC2 rejects a whole Describe when one id is unknown). */
export async function orWhenNotFound<T>(operation: string, call: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await awsCall(operation, call);
  } catch (err) {
    if (err instanceof NotFound) return fallback;
    throw err;
  }
}
