/**
 * CloudFormation intrinsic functions over a template value: Ref, Fn::GetAtt, Fn::Join, Fn::Sub (both
 * forms), Fn::Select, Fn::Split, Fn::If / conditions, Fn::ImportValue, Fn::Base64, Fn::FindInMap,
 * Fn::GetAZs, Fn::Equals/And/Or/Not. Pure: the scope answers what a name refers to.
 */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface ResolveScope {
  /** Ref: a parameter, a resource's physical id, or a pseudo parameter. */
  ref(name: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
  importValue(exportName: string): unknown;
  condition(name: string): boolean;
  findInMap(map: string, top: string, second: string): unknown;
  region: string;
}

export function resolveValue(value: unknown, scope: ResolveScope): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')) {
    const fn = keys[0];
    if (fn !== 'Condition' || typeof obj.Condition === 'string') return resolveFunction(fn, obj[fn], scope);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const r = resolveValue(v, scope);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

function resolveFunction(fn: string, arg: unknown, scope: ResolveScope): unknown {
  const r = (v: unknown) => resolveValue(v, scope);
  switch (fn) {
    case 'Ref':
      return arg === 'AWS::NoValue' ? NO_VALUE : scope.ref(String(arg));
    case 'Fn::GetAtt': {
      const [id, ...attr] = Array.isArray(arg) ? arg.map((a) => String(r(a))) : String(arg).split('.');
      return scope.getAtt(id, attr.join('.'));
    }
    case 'Fn::Join': {
      const [sep, list] = arg as [string, unknown];
      return (r(list) as unknown[]).map(String).join(sep);
    }
    case 'Fn::Sub':
      return substitute(arg, scope);
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      return (r(list) as unknown[])[Number(r(index))];
    }
    case 'Fn::Split': {
      const [sep, text] = arg as [string, unknown];
      return String(r(text)).split(sep);
    }
    case 'Fn::Base64':
      return Buffer.from(String(r(arg)), 'utf8').toString('base64');
    case 'Fn::ImportValue':
      return scope.importValue(String(r(arg)));
    case 'Fn::FindInMap': {
      const [map, top, second] = (arg as unknown[]).map((a) => String(r(a)));
      return scope.findInMap(map, top, second);
    }
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((z) => `${scope.region}${z}`);
    case 'Fn::If': {
      const [cond, whenTrue, whenFalse] = arg as [string, unknown, unknown];
      return scope.condition(cond) ? r(whenTrue) : r(whenFalse);
    }
    case 'Condition':
      return scope.condition(String(arg));
    case 'Fn::Equals': {
      const [a, b] = (arg as unknown[]).map(r);
      return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
    }
    case 'Fn::And':
      return (arg as unknown[]).every((c) => r(c) === true);
    case 'Fn::Or':
      return (arg as unknown[]).some((c) => r(c) === true);
    case 'Fn::Not':
      return r((arg as unknown[])[0]) !== true;
    case 'Fn::Contains': {
      const [list, item] = arg as [unknown, unknown];
      return (r(list) as unknown[]).map(String).includes(String(r(item)));
    }
    default:
      throw new Error(`unsupported intrinsic function ${fn}`);
  }
}

function substitute(arg: unknown, scope: ResolveScope): string {
  const [template, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
  const resolvedVars = Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, resolveValue(v, scope)]));
  return template.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name.startsWith('!')) return '${' + name.slice(1) + '}';
    if (name in resolvedVars) return String(resolvedVars[name]);
    if (!name.startsWith('AWS::') && name.includes('.')) {
      const dot = name.indexOf('.');
      return String(scope.getAtt(name.slice(0, dot), name.slice(dot + 1)));
    }
    return String(scope.ref(name));
  });
}

/** Logical ids a value refers to (Ref, GetAtt, Sub), for ordering resources. */
export function referencedIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedIds(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      else if (k === 'Fn::Sub') {
        const template = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of template.matchAll(/\$\{([^!}][^}.]*)/g)) out.add(m[1]);
        if (Array.isArray(v)) referencedIds(v[1], out);
      } else referencedIds(v, out);
    }
  }
  return out;
}
