/** CloudFormation intrinsics and ordering used by deployAssembly (pure). */
import { resourceOrder } from '../src/assembly/deploy';
import { NO_VALUE, referencedIds, ResolveScope, resolveValue } from '../src/assembly/intrinsics';
import { inDependencyOrder } from '../src/assembly/manifest';

const scope: ResolveScope = {
  region: 'eu-west-1',
  ref: (name) => ({ 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123', Bucket: 'my-bucket', Env: 'prod' })[name] ?? `ref:${name}`,
  getAtt: (id, attr) => `${id}.${attr}`,
  importValue: (name) => `import:${name}`,
  condition: (name) => name === 'IsProd',
  findInMap: (map, a, b) => `${map}/${a}/${b}`,
};
const r = (v: unknown) => resolveValue(v, scope);

test('Ref, GetAtt (both forms), Join, Select, Split, Base64, ImportValue, FindInMap, GetAZs', () => {
  expect(r({ Ref: 'Bucket' })).toBe('my-bucket');
  expect(r({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe('Fn.Arn');
  expect(r({ 'Fn::GetAtt': 'Fn.Arn' })).toBe('Fn.Arn');
  expect(r({ 'Fn::Join': ['-', ['a', { Ref: 'Env' }, 'c']] })).toBe('a-prod-c');
  expect(r({ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] })).toBe('y');
  expect(r({ 'Fn::Base64': 'hi' })).toBe('aGk=');
  expect(r({ 'Fn::ImportValue': { 'Fn::Sub': '${Env}-out' } })).toBe('import:prod-out');
  expect(r({ 'Fn::FindInMap': ['M', { Ref: 'Env' }, 'k'] })).toBe('M/prod/k');
  expect(r({ 'Fn::GetAZs': '' })).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
});

test('Fn::Sub in both forms, with attribute references and escapes', () => {
  expect(r({ 'Fn::Sub': 'arn:aws:s3:::${Bucket}/${AWS::Region}/${Fn.Arn}/${!Literal}' })).toBe('arn:aws:s3:::my-bucket/eu-west-1/Fn.Arn/${Literal}');
  expect(r({ 'Fn::Sub': ['${A}-${Env}', { A: { Ref: 'Bucket' } }] })).toBe('my-bucket-prod');
});

test('Fn::If, conditions and AWS::NoValue', () => {
  expect(r({ 'Fn::If': ['IsProd', 'big', 'small'] })).toBe('big');
  expect(r({ 'Fn::If': ['IsDev', 'big', 'small'] })).toBe('small');
  expect(r({ 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] })).toBe(true);
  expect(r({ 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Not': [{ Condition: 'IsDev' }] }] })).toBe(true);
  expect(r({ 'Fn::Or': [{ Condition: 'IsDev' }, { 'Fn::Equals': ['a', 'b'] }] })).toBe(false);
  expect(r({ A: { Ref: 'AWS::NoValue' }, B: [1, { Ref: 'AWS::NoValue' }, 2] })).toEqual({ B: [1, 2] });
  expect(r({ Ref: 'AWS::NoValue' })).toBe(NO_VALUE);
  // an IAM policy's Condition object is data, not the Condition function
  expect(r({ Condition: { StringEquals: { 'aws:ResourceTag/Owner': 'x' } } })).toEqual({ Condition: { StringEquals: { 'aws:ResourceTag/Owner': 'x' } } });
});

test('resources are ordered after what they reference or depend on', () => {
  const resources = {
    Machine: { Properties: { Def: { 'Fn::Sub': '${Fn.Arn} ${Role}' } } },
    Fn: { Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } }, DependsOn: ['Policy'] },
    Policy: { Properties: { Roles: [{ Ref: 'Role' }] } },
    Role: { Properties: {} },
  };
  expect([...referencedIds(resources.Machine.Properties)].sort()).toEqual(['Fn', 'Role']);
  const order = resourceOrder(resources);
  const before = (a: string, b: string) => expect(order.indexOf(a)).toBeLessThan(order.indexOf(b));
  before('Role', 'Policy');
  before('Policy', 'Fn');
  before('Fn', 'Machine');
  expect(() =>
    inDependencyOrder([
      { id: 'a', dependencies: ['b'] },
      { id: 'b', dependencies: ['a'] },
    ]),
  ).toThrow(/cycle/);
});
