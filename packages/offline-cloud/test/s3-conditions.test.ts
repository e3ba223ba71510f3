/** The pure rules of the offline S3's conditional requests: which are evaluated, which refused, and AWS's answers. */
import { evaluateCondition, normalizeEtag, planRead, planWrite } from '../src/s3-conditions';

const q = (s = '') => new URLSearchParams(s);

describe('planWrite', () => {
  test('object PUT and DELETE: the conditions S3 evaluates become checks; plain writes are locked, unconditional', () => {
    expect(planWrite('PUT', 'k', q('x-id=PutObject'), {})).toEqual({ kind: 'put' });
    expect(planWrite('PUT', 'k', q(), { 'if-none-match': '*' })).toEqual({ kind: 'put', condition: { ifNoneMatch: '*' } });
    expect(planWrite('PUT', 'k', q(), { 'if-match': '"abc"' })).toEqual({ kind: 'put', condition: { ifMatch: '"abc"' } });
    expect(planWrite('DELETE', 'k', q('x-id=DeleteObject'), { 'if-match': '*' })).toEqual({ kind: 'delete', condition: { ifMatch: '*' } });
    expect(planWrite('DELETE', 'k', q(), {})).toEqual({ kind: 'delete' });
    expect(planWrite('POST', 'k', q('uploadId=u'), {})).toEqual({ kind: 'complete-multipart' });
    expect(planWrite('POST', undefined, q('delete'), {})).toEqual({ kind: 'delete-objects' });
  });

  test.each([
    ['PUT', 'k', '', { 'if-none-match': '"abc"' }, 'If-None-Match other than *'],
    ['PUT', 'k', '', { 'if-match': '*' }, 'If-Match: *'],
    ['PUT', 'k', '', { 'if-match': '"a"', 'if-none-match': '*' }, 'together'],
    ['PUT', 'k', '', { 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }, 'if-unmodified-since'],
    ['PUT', 'k', '', { 'x-amz-copy-source': 'b/src', 'x-amz-copy-source-if-match': '"a"' }, 'x-amz-copy-source-if-match'],
    ['DELETE', 'k', '', { 'x-amz-if-match-size': '8' }, 'x-amz-if-match-size'],
    ['DELETE', 'k', '', { 'if-none-match': '*' }, 'If-None-Match on DeleteObject'],
    ['POST', 'k', 'uploadId=u', { 'if-none-match': '*' }, 'CompleteMultipartUpload'],
    ['PUT', 'k', 'partNumber=1&uploadId=u', { 'if-match': '"a"' }, 'if-match'],
    ['POST', undefined, 'delete', { 'if-match': '"a"' }, 'DeleteObjects'],
  ] as const)('%s %s ?%s %j is refused with 501 NotImplemented', (method, key, query, headers, named) => {
    const plan = planWrite(method, key, q(query), headers);
    expect(plan).toMatchObject({ kind: 'refuse', failure: { status: 501, code: 'NotImplemented' } });
    expect(plan?.kind === 'refuse' && plan.failure.message).toContain(named);
  });

  test('subresource and bucket writes with no condition pass straight through', () => {
    expect(planWrite('PUT', 'k', q('tagging'), {})).toBeUndefined();
    expect(planWrite('PUT', 'k', q('partNumber=1&uploadId=u'), {})).toBeUndefined();
    expect(planWrite('PUT', undefined, q(), {})).toBeUndefined();
  });
});

describe('evaluateCondition', () => {
  test('If-None-Match: * holds only while there is no object', () => {
    expect(evaluateCondition({ ifNoneMatch: '*' }, 'k', undefined)).toBeUndefined();
    expect(evaluateCondition({ ifNoneMatch: '*' }, 'k', '"e"')).toMatchObject({ status: 412, code: 'PreconditionFailed', condition: 'If-None-Match' });
  });

  test('If-Match compares ETags quoted or not; a missing object is NoSuchKey; * needs an object', () => {
    expect(evaluateCondition({ ifMatch: 'abc' }, 'k', '"abc"')).toBeUndefined();
    expect(evaluateCondition({ ifMatch: '"abc' }, 'k', '"abc"')).toBeUndefined();
    expect(evaluateCondition({ ifMatch: '"abd"' }, 'k', '"abc"')).toMatchObject({ status: 412, condition: 'If-Match' });
    expect(evaluateCondition({ ifMatch: '"abc"' }, 'k', undefined)).toMatchObject({ status: 404, code: 'NoSuchKey', key: 'k' });
    expect(evaluateCondition({ ifMatch: '*' }, 'k', '"x"')).toBeUndefined();
    expect(evaluateCondition({ ifMatch: '*' }, 'k', undefined)).toMatchObject({ status: 404 });
    expect(normalizeEtag(' "a1" ')).toBe('a1');
  });
});

test('planRead: s3rver answers If-None-Match alone; If-Match is checked by the front; the rest is refused', () => {
  expect(planRead({})).toBeUndefined();
  expect(planRead({ 'if-none-match': '"a"' })).toBeUndefined();
  expect(planRead({ 'if-match': '"a"' })).toEqual({ ifMatch: '"a"' });
  expect(planRead({ 'if-unmodified-since': 'x' })).toMatchObject({ refuse: { status: 501 } });
  expect(planRead({ 'if-match': '"a"', 'if-none-match': '"b"' })).toMatchObject({ refuse: { status: 501 } });
});
