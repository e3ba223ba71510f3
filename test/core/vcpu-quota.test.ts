import { SyncFailed } from '../../runtime/core/errors';
import { isStandardType, zsatsAtOnce } from '../../runtime/core/sync/vcpu-quota';

const base = { zsats: 6, maxZsats: 8, instanceType: 'c6i.large', vcpusEach: 2 };

describe('zsatsAtOnce', () => {
  it('runs every zSAT up to maxZsats when the free vCPUs hold them', () => {
    expect(zsatsAtOnce({ ...base, room: { quota: 32, inUse: 4 } })).toEqual({ atOnce: 6 });
    expect(zsatsAtOnce({ ...base, zsats: 20, room: { quota: 100, inUse: 0 } })).toEqual({ atOnce: 8 });
  });
  it('lowers the zSATs at once to what the free vCPUs hold, saying why', () => {
    const sized = zsatsAtOnce({ ...base, room: { quota: 10, inUse: 3 } });
    expect(sized.atOnce).toBe(3);
    expect(sized.boundBy).toBe("3 of the quota's 10 vCPUs (L-1216C47A) are in use, room for 3 zSATs of c6i.large (2 vCPUs each): 3 at once instead of 6");
  });
  it('keeps one when none fits now (its launch waits with back-off for instances to end)', () => {
    expect(zsatsAtOnce({ ...base, room: { quota: 5, inUse: 5 } }).atOnce).toBe(1);
  });
  it('fails, naming the quota code and a smaller type, when not one zSAT fits the quota', () => {
    expect(() => zsatsAtOnce({ ...base, room: { quota: 1, inUse: 0 } })).toThrow(SyncFailed);
    expect(() => zsatsAtOnce({ ...base, room: { quota: 1, inUse: 0 } })).toThrow(
      /quota of 1 vCPUs .*EC2 quota L-1216C47A\) of at least 2, or list a smaller type first in agent\.instanceTypes/,
    );
  });
  it('leaves the configured bound when the figures are unknown or the type is not a Standard one', () => {
    expect(zsatsAtOnce({ ...base, room: null })).toEqual({ atOnce: 6 });
    expect(zsatsAtOnce({ ...base, vcpusEach: null, room: { quota: 2, inUse: 0 } })).toEqual({ atOnce: 6 });
    expect(zsatsAtOnce({ ...base, instanceType: 'g5.xlarge', room: { quota: 2, inUse: 0 } })).toEqual({ atOnce: 6 });
    expect(isStandardType('t3.micro')).toBe(true);
    expect(isStandardType('g5.xlarge')).toBe(false);
  });
});
