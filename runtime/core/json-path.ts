/**
 * JSONPaths checked against a state machine's state type: `paths<SyncState>()('$.plan.zsats')` compiles only while
 * the contract's schema has `plan.zsats`, so renaming a payload key fails `tsc` in the construct, the template test
 * and the CLI instead of failing an execution at run time.
 */

/** Depth limit of the recursion (a state's payloads nest three or four levels). */
type Depth = [never, 0, 1, 2, 3, 4, 5];

type Join<K extends string, P> = P extends string ? `${K}.${P}` : never;

/** Every dotted path into T's objects; arrays and scalars end a path (JSONPath reaches into arrays by index, which no state uses). */
export type PathsOf<T, D extends number = 5> = [D] extends [never]
  ? never
  : T extends readonly unknown[]
    ? never
    : T extends object
      ? { [K in keyof T & string]-?: K | Join<K, PathsOf<NonNullable<T[K]>, Depth[D]>> }[keyof T & string]
      : never;

/** A reference path into a state of type T, as Amazon States Language writes it (`$.begin.syncId`). */
export type JsonPathOf<T> = `$.${PathsOf<T>}`;

/** A function that accepts only paths into T and returns them as typed as written. */
export function pathsIn<T>(): <P extends JsonPathOf<T>>(path: P) => P {
  return (path) => path;
}

/** The top-level key a result path writes (`'$.plan'` → `'plan'`), for the steps' result keys. */
export type ResultKey<T> = keyof T & string;

/** `$.<key>` for a top-level key of T: a task's ResultPath. */
export function resultPathIn<T>(): <K extends ResultKey<T>>(key: K) => `$.${K}` {
  return (key) => `$.${key}`;
}

/** A payload as the steps pass it around: read-only all the way down (a step builds a new state, never edits one). */
export type Payload<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly Payload<E>[]
    : T extends object
      ? { readonly [K in keyof T]: Payload<T[K]> }
      : T;

/** Every key of T, required: a Pass state's parameters or a Map's ItemSelector `satisfies` it, so a key the contract renames fails tsc. */
export type StateFields<T> = { readonly [K in keyof T]-?: unknown };
