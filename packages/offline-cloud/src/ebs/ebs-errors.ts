/**
 * EBS direct API errors in the REST-JSON wire shape: the status, an `x-amzn-ErrorType` header naming
 * the code, and a JSON body with the message and (for most codes) a Reason, so the SDK raises the
 * typed exception (ValidationException, ...) with `.Reason` set. Codes are taken verbatim: AWS answers
 * account throttling with 'ThrottlingException', a code the EBS SDK has no class for but surfaces by name.
 */
import { AwsError, type CloudResponse } from '../service';

/** HTTP status of each modelled EBS error (from the SDK's error schemas). */
export const EBS_ERROR_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  AccessDeniedException: 403,
  RequestThrottledException: 400,
  ThrottlingException: 400,
  ServiceQuotaExceededException: 402,
  ConflictException: 409,
  ConcurrentLimitExceededException: 400,
  InternalServerException: 500,
};

/** An EBS error thrown inside a handler; the service renders it, Reason included. */
export class EbsError extends AwsError {
  constructor(
    code: string,
    message: string,
    readonly reason?: string,
    status = EBS_ERROR_STATUS[code] ?? 400,
  ) {
    super(code, message, status);
  }
}

export function renderEbsError(status: number, code: string, message: string, reason?: string): CloudResponse {
  const body: Record<string, string> = { message, Message: message };
  if (reason) body.Reason = reason;
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
    body: JSON.stringify(body),
  };
}

export const validation = (reason: string, message: string) => new EbsError('ValidationException', message, reason);

export const snapshotNotFound = (snapshotId: string) =>
  new EbsError('ResourceNotFoundException', `The snapshot '${snapshotId}' does not exist.`, 'SNAPSHOT_NOT_FOUND');
