/** The config's `kms.keyArns` (lib/config-schema.ts): KMS key ARNs only, each refusal naming the field and the fix. */
import { parseConfig } from '../../lib/config';
import { problems } from './config-problems';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const MRK = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
const withKms = (kms: unknown) => ({ siteId: 'site-a', vpgs: [{ name: 'web', instances: { tags: { app: 'web' } } }], kms });

describe('kms.keyArns', () => {
  it('is optional, and keeps the key ARNs (single- and multi-Region) it is given', () => {
    expect(parseConfig({ siteId: 'site-a', vpgs: [{ name: 'web', instances: { tags: { app: 'web' } } }] }, 'x').kms).toBeUndefined();
    expect(parseConfig(withKms({ keyArns: [KEY, MRK] }), 'x').kms).toEqual({ keyArns: [KEY, MRK] });
  });

  it('refuses an alias, a key id and an alias ARN, naming the entry and saying a key ARN is needed', () => {
    const lines = problems(withKms({ keyArns: ['alias/ebs', '1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:eu-west-1:111122223333:alias/ebs'] }));
    expect(lines.filter((l) => l.includes('kms.keyArns'))).toHaveLength(3);
    for (const i of [0, 1, 2]) expect(lines.find((l) => l.includes(`kms.keyArns[${i}]`))).toMatch(/must be a KMS key ARN such as "arn:aws:kms:.*not an alias/);
  });

  it('refuses an empty list and an unknown key, with the fix', () => {
    expect(problems(withKms({ keyArns: [] })).join('\n')).toMatch(/kms\.keyArns.*at least one KMS key ARN \(or leave "kms" out/);
    expect(problems(withKms({ keyArn: KEY })).join('\n')).toMatch(/kms.*keyArn/);
  });
});
