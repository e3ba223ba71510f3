/** Shared assertion helpers for the stack tests: synthesize fast, read policies and the rendered state machine. */
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';

/** Tiny step handlers and agent (test/lib/fixtures), so synthesizing bundles in milliseconds; the real ones are tested elsewhere. */
export const STUB_SOURCES = {
  handlersDir: join(__dirname, 'fixtures', 'steps'),
  agentEntry: join(__dirname, 'fixtures', 'agent.ts'),
};

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

export function resourcesOf(s: Statement): unknown[] {
  return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
}

/** Every statement of every AWS::IAM::Policy in the template, with the policy's logical id. */
export function policyStatements(template: Template): Array<Statement & { policy: string }> {
  const out: Array<Statement & { policy: string }> = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    for (const s of policy.Properties.PolicyDocument.Statement as Statement[]) out.push({ ...s, policy: id });
  }
  return out;
}

/** A CloudFormation value flattened into a readable string: Fn::Join parts joined, tokens as `{Ref}`/`{GetAtt}` text. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Fn::Join' in v) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
    if ('Ref' in v) return `{Ref:${String(v.Ref)}}`;
    if ('Fn::GetAtt' in v) return `{GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Sub' in v) return String(v['Fn::Sub']);
    if ('Fn::ImportValue' in v) return `{Import:${flatten(v['Fn::ImportValue'])}}`;
    if ('Fn::Base64' in v) return flatten(v['Fn::Base64']);
  }
  return JSON.stringify(value);
}

/**
 * The state machine's ASL with every token replaced by a readable string (JSON-escaped, so the text stays parseable).
 */
export function renderedDefinition(template: Template): Record<string, any> {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const join = machine.Properties.DefinitionString['Fn::Join'] as [string, unknown[]];
  const text = join[1].map((part) => (typeof part === 'string' ? part : JSON.stringify(flatten(part)).slice(1, -1))).join(join[0]);
  return JSON.parse(text);
}

/** Every state by name, including those inside Map item processors. */
export function allStates(definition: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, state] of Object.entries<any>(definition.States)) {
    out[name] = state;
    if (state.ItemProcessor) Object.assign(out, allStates(state.ItemProcessor));
    if (state.Iterator) Object.assign(out, allStates(state.Iterator));
  }
  return out;
}

/** The logical id of the one AWS::IAM::Role whose id starts with `prefix` (e.g. `StepRolesSync`). */
export function roleId(template: Template, prefix: string): string {
  const ids = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one role ${prefix}*, found ${JSON.stringify(ids)}`);
  return ids[0];
}

/** Every statement a role is granted: its inline policies (AWS::IAM::Policy) and its managed policies (CDK's overflow). */
export function roleStatements(template: Template, prefix: string): Statement[] {
  const id = roleId(template, prefix);
  const out: Statement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of Object.values(template.findResources(type))) {
      const roles = (policy.Properties.Roles ?? []) as Array<{ Ref?: string }>;
      if (roles.some((r) => r.Ref === id)) out.push(...(policy.Properties.PolicyDocument.Statement as Statement[]));
    }
  }
  return out;
}

const INTRINSICS = ['Ref', 'Fn::Join', 'Fn::GetAtt', 'Fn::Sub', 'Fn::ImportValue', 'Fn::Base64'];

/** Every CloudFormation value inside `value` flattened (see `flatten`), plain JSON left as it is. */
export function flattenDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flattenDeep);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && INTRINSICS.includes(keys[0])) return flatten(value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, flattenDeep(v)]));
}

/** Statements rendered readably (resources and condition values flattened), for equality checks that print well. */
export function rendered(statements: readonly Statement[]): Array<{ sid?: string; actions: string[]; resources: string[]; condition?: unknown }> {
  return statements.map((s) => ({ sid: s.Sid, actions: actionsOf(s), resources: resourcesOf(s).map(flatten), condition: flattenDeep(s.Condition) }));
}
