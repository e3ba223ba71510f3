/** SDK exceptions become domain errors: throttles (EBS direct's concurrency limit among them) are Throttled, which the steps retry. */
import { NotFound, ServiceError, Throttled } from '../../runtime/core/errors';
import { toDomainError } from '../../runtime/aws/aws-errors';

const sdkError = (name: string, message = 'x') => Object.assign(new Error(message), { name });

it("treats the EBS direct APIs' concurrency limit as a throttle, keeping the code and operation in the message", () => {
  const err = toDomainError(sdkError('ConcurrentLimitExceededException', 'You have reached the limit for concurrent API requests'), 'ListChangedBlocks');
  expect(err).toBeInstanceOf(Throttled);
  expect(err.message).toBe('ListChangedBlocks: ConcurrentLimitExceededException: You have reached the limit for concurrent API requests');
});

it('keeps the other translations', () => {
  expect(toDomainError(sdkError('RequestThrottledException'), 'GetSnapshotBlock')).toBeInstanceOf(Throttled);
  expect(toDomainError(sdkError('ResourceNotFoundException'), 'ListSnapshotBlocks')).toBeInstanceOf(NotFound);
  expect(toDomainError(sdkError('InternalServerException'), 'ListSnapshotBlocks')).toBeInstanceOf(ServiceError);
});
