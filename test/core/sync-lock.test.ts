import { decideLock } from '../../lambda/core/sync-lock';
import { deriveSyncId, executionName, zsatInstanceClientToken, zsatVolumeClientToken } from '../../lambda/core/sync-ids';

const arn = (name: string) => `arn:aws:states:us-east-1:1:execution:lifeboat-site-a-web-sync:${name}`;
const run = (name: string, startDate: string) => ({ executionArn: arn(name), name, startDate });

describe('decideLock', () => {
  const self = { executionArn: arn('m'), startedAt: '2026-11-25T12:00:00.000Z' };

  it('acquires when it is the only running execution', () => {
    expect(decideLock(self, [run('m', self.startedAt)])).toEqual({ acquired: true });
  });

  it('acquires when every other execution started later', () => {
    expect(decideLock(self, [run('m', self.startedAt), run('a', '2026-11-25T12:00:01.000Z')]).acquired).toBe(true);
  });

  it('yields to the earliest earlier execution', () => {
    const d = decideLock(self, [run('late', '2026-11-25T11:59:00.000Z'), run('early', '2026-11-25T11:00:00.000Z'), run('m', self.startedAt)]);
    expect(d).toEqual({ acquired: false, holder: run('early', '2026-11-25T11:00:00.000Z') });
  });

  it('breaks a tie by the smaller name', () => {
    expect(decideLock(self, [run('a', self.startedAt)]).acquired).toBe(false);
    expect(decideLock(self, [run('z', self.startedAt)]).acquired).toBe(true);
  });

  it('uses its own listed start date over the input when both exist', () => {
    const listedLater = [run('m', '2026-11-25T12:00:05.000Z'), run('b', '2026-11-25T12:00:02.000Z')];
    expect(decideLock(self, listedLater).acquired).toBe(false);
  });
});

describe('sync ids', () => {
  it('derive the same sync id from the same execution, different ones from others', () => {
    expect(deriveSyncId(arn('run-1'))).toBe(deriveSyncId(arn('run-1')));
    expect(deriveSyncId(arn('run-1'))).not.toBe(deriveSyncId(arn('run-2')));
    expect(deriveSyncId(arn('run-1'))).toMatch(/^s[0-9a-f]{12}$/);
  });

  it('name an execution from its ARN', () => {
    expect(executionName(arn('run-7'))).toBe('run-7');
  });

  it('keep client tokens within 64 characters and stable', () => {
    const sync = deriveSyncId(arn('x'));
    expect(zsatVolumeClientToken(sync, 'vol-0123456789abcdef0')).toBe(`${sync}-vol-0123456789abcdef0`);
    const long = zsatVolumeClientToken('s'.repeat(60), 'vol-0123456789abcdef0');
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toBe(zsatVolumeClientToken('s'.repeat(60), 'vol-0123456789abcdef0'));
    expect(zsatInstanceClientToken(sync, 1)).not.toBe(zsatInstanceClientToken(sync, 2));
  });
});
