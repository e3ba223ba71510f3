/**
 * Letting cloud time pass in an end-to-end test: the cloud clock (packages/offline-cloud/src/clock.ts) runs fast until
 * the time is reached, then at its own pace again. It waits on the clock itself, so it is exact, not a sleep that
 * hopes; use it only while nothing but the cloud's timers runs (a Lambda invocation in flight would see its timeout
 * pass as fast).
 */
import type { CloudClock } from '@lifeboat/offline-cloud/src/clock';

/** Cloud seconds per real second while time is being passed. */
const FAST = 600;

export async function passCloudTime(clock: CloudClock, ms: number): Promise<void> {
  const until = clock.now() + ms;
  const pace = clock.scale;
  clock.setScale(FAST);
  try {
    while (clock.now() < until) await clock.sleep(until - clock.now());
  } finally {
    clock.setScale(pace);
  }
}

/** Past CloudWatch's next evaluation of a metric alarm (every minute on the minute), by a second. */
export function pastNextEvaluation(clock: CloudClock): Promise<void> {
  return passCloudTime(clock, 60_000 - (clock.now() % 60_000) + 1000);
}
