/** A job may touch only its own job's keys: hand-made jobs are refused before anything is written. */
import type { ImportJob, ReadJob } from '../../runtime/core/workers/agent-job';
import {
  checkpointKey,
  importJobKey,
  importProgressKey,
  importResultKey,
  planKey,
  syncJobKey,
  syncProgressKey,
  syncResultKey,
} from '../../runtime/core/store/format';
import { validateJob } from '../../runtime/agent/job-runner';

const BUCKET = 'lifeboat-store';
const CP = 'cp-20261125T150000Z-aaaa0001';

function readJob(over: Partial<ReadJob> = {}): ReadJob {
  return {
    kind: 'read',
    jobId: 'job-0',
    vpg: 'web',
    syncId: 'sync-1',
    store: { bucket: BUCKET, prefix: 'vpgs/web/' },
    progressKey: syncProgressKey('web', 'sync-1', 'job-0'),
    resultKey: syncResultKey('web', 'sync-1', 'job-0'),
    heartbeatSeconds: 5,
    volumes: [{ volumeId: 'vol-0zsat', sourceVolumeId: 'vol-src', sizeBytes: 1 << 20, planKey: planKey('web', 'sync-1', 'vol-src') }],
    ...over,
  };
}
function importJob(over: Partial<ImportJob> = {}): ImportJob {
  return {
    kind: 'import',
    jobId: 'imp-0',
    vpg: 'web',
    executionId: 'exec-1',
    store: { bucket: BUCKET, prefix: 'vpgs/web/' },
    progressKey: importProgressKey('web', 'exec-1', 'imp-0'),
    resultKey: importResultKey('web', 'exec-1', 'imp-0'),
    heartbeatSeconds: 5,
    volumes: [{ volumeId: 'vol-0new', sourceVolumeId: 'vol-src', sizeBytes: 1 << 20, checkpointId: CP }],
    ...over,
  };
}
const at = (key: string) => ({ location: { bucket: BUCKET, key } });
const readAt = at(syncJobKey('web', 'sync-1', 'job-0'));
const importAt = at(importJobKey('web', 'exec-1', 'imp-0'));

describe('validateJob: keys outside the job', () => {
  it("accepts the jobs the steps write, at their own location, on an instance of the job's VPG", () => {
    expect(validateJob(readJob(), { ...readAt, instanceVpg: 'web' })).toEqual(readJob());
    expect(validateJob(importJob(), { ...importAt, instanceVpg: 'web' })).toEqual(importJob());
    expect(validateJob(readJob(), { ...readAt, instanceVpg: null })).toEqual(readJob()); // no tag: nothing to compare
  });

  it('refuses a hand-made job whose result would overwrite a committed manifest', () => {
    const job = readJob({ resultKey: checkpointKey('web', CP) });
    expect(() => validateJob(job, readAt)).toThrow(
      `refusing agent job s3://${BUCKET}/${syncJobKey('web', 'sync-1', 'job-0')} (nothing was written): resultKey "vpgs/web/checkpoints/${CP}.json" is not this job's own key (want ${syncResultKey('web', 'sync-1', 'job-0')})`,
    );
    expect(() => validateJob(importJob({ resultKey: checkpointKey('web', CP) }), importAt)).toThrow(/resultKey .* is not this job's own key/);
  });

  it.each<[string, Partial<ReadJob>, RegExp]>([
    ['progress elsewhere', { progressKey: 'vpgs/web/packs/x.json' }, /progressKey "vpgs\/web\/packs\/x.json" is not this job's own key/],
    ["another sync's result", { resultKey: syncResultKey('web', 'sync-2', 'job-0') }, /resultKey .*sync-2.* is not this job's own key/],
    [
      'a plan of another volume',
      { volumes: [{ ...readJob().volumes[0], planKey: planKey('web', 'sync-1', 'vol-other') }] },
      /volumes\[0\]\.planKey .* is not this job's own key/,
    ],
    ["another VPG's prefix", { store: { bucket: BUCKET, prefix: 'vpgs/db/' } }, /store.prefix "vpgs\/db\/" is not this job's own key \(want vpgs\/web\/\)/],
    ['a sync id that is no key segment', { syncId: '../db' }, /progressKey cannot be checked: invalid sync id/],
  ])('refuses a read job with %s', (_what, over, message) => {
    expect(() => validateJob(readJob(over), readAt)).toThrow(message);
  });

  it('refuses a job read from anywhere but its own job key, or from another bucket', () => {
    expect(() => validateJob(readJob(), at('vpgs/web/syncs/sync-1/jobs/other.json'))).toThrow(
      /the job location "vpgs\/web\/syncs\/sync-1\/jobs\/other.json" is not this job's own key/,
    );
    expect(() => validateJob(importJob(), readAt)).toThrow(
      /the job location .* is not this job's own key \(want vpgs\/web\/imports\/exec-1\/jobs\/imp-0.json\)/,
    );
    expect(() => validateJob(readJob(), { location: { bucket: 'elsewhere', key: readAt.location.key } })).toThrow(
      /store.bucket "lifeboat-store" is not the bucket the job was read from \(elsewhere\)/,
    );
  });

  it("refuses a job for another VPG than the instance's lifeboat:vpg tag", () => {
    expect(() => validateJob(readJob(), { ...readAt, instanceVpg: 'db' })).toThrow('the job is for VPG "web", but this instance is tagged lifeboat:vpg=db');
  });

  it('names every problem at once', () => {
    const error = (() => {
      try {
        validateJob(importJob({ progressKey: 'a', resultKey: 'b' }), importAt);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(error.match(/is not this job's own key/g)).toHaveLength(2);
  });
});
