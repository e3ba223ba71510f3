/**
 * The key-state operations (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html): DisableKey,
 * EnableKey, ScheduleKeyDeletion, CancelKeyDeletion.
 */
import { AwsError } from '../service';
import { authorize, type Operation, required, seconds } from './kms-call';

/** DisableKey and EnableKey: the same rule, another state (neither applies to a key pending deletion). */
function setState(operation: 'DisableKey' | 'EnableKey', state: 'Disabled' | 'Enabled'): Operation {
  return async (c) => {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation });
    if (key.state === 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
    key.state = state;
    return {};
  };
}

export const KEY_STATE_OPERATIONS: Record<string, Operation> = {
  DisableKey: setState('DisableKey', 'Disabled'),
  EnableKey: setState('EnableKey', 'Enabled'),
  async ScheduleKeyDeletion(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'ScheduleKeyDeletion' });
    // 7 to 30 days, default 30 (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html)
    const days = typeof c.input.PendingWindowInDays === 'number' ? c.input.PendingWindowInDays : 30;
    if (days < 7 || days > 30)
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30`,
      );
    key.state = 'PendingDeletion';
    key.deletionDate = c.keys.nowMs() + days * 86_400_000;
    return { KeyId: key.arn, DeletionDate: seconds(key.deletionDate), KeyState: key.state, PendingWindowInDays: days };
  },
  async CancelKeyDeletion(c) {
    const key = c.keys.resolve(required(c.input, 'KeyId'));
    await authorize(c, key, { operation: 'CancelKeyDeletion' });
    if (key.state !== 'PendingDeletion') throw new AwsError('KMSInvalidStateException', `${key.arn} is not pending deletion.`);
    // a key whose deletion is cancelled is Disabled (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys-scheduling-key-deletion.html)
    key.state = 'Disabled';
    key.deletionDate = undefined;
    return { KeyId: key.arn };
  },
};
