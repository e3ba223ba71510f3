/**
 * The one rule for site ids and VPG names, shared by the config (lib/config-schema.ts), the step environment
 * (step-env.ts) and the store's keys (store/format.ts), so a name the config accepts is one the runtime accepts.
 *
 * Both names become parts of S3 keys (`vpgs/<vpg>/`, whose first character must be a letter or digit), tag values,
 * and resource names joined with '-' (`lifeboat-<siteId>-<vpg>-sync`, `Lifeboat-<siteId>-<vpg>` stacks, the bucket
 * `lifeboat-<siteId>-<account>-<region>`). Hence: 1-32 characters a-z, 0-9 and '-', starting and ending with a letter
 * or digit. "--" inside is allowed: S3 keys, S3 bucket names (ours start with "lifeboat-" and end with a region, so
 * never the reserved "xn--" prefix nor a "--x-s3" suffix), CloudFormation stack names, Step Functions, Lambda and
 * CloudWatch names all accept it, so refusing it would refuse nothing the runtime refuses.
 */

export const NAME_MAX_LENGTH = 32;

/** 1-32 characters a-z, 0-9 and '-', first and last a letter or digit. */
export const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** The rule in words, for error lines. */
export const NAME_RULE = "1-32 characters a-z, 0-9 or '-', starting and ending with a letter or digit";

/** Why `value` breaks the rule (the first reason found), or undefined when it is a valid name. */
export function nameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value.length === 0) return 'is empty';
  if (value.length > NAME_MAX_LENGTH) return `is ${value.length} characters long, over ${NAME_MAX_LENGTH}`;
  const bad = [...value].find((c) => !/[a-z0-9-]/.test(c));
  if (bad !== undefined) return `contains ${JSON.stringify(bad)}, which is not a-z, 0-9 or '-'`;
  if (value.startsWith('-')) return "starts with '-'";
  if (value.endsWith('-')) return "ends with '-'";
  return NAME_PATTERN.test(value) ? undefined : `does not match ${NAME_PATTERN}`;
}

export function isName(value: unknown): value is string {
  return nameProblem(value) === undefined;
}

/** Returns `value` when valid; otherwise throws an Error naming the kind, the value and the reason. */
export function assertName(kind: string, value: string): string {
  const problem = nameProblem(value);
  if (problem !== undefined) throw new Error(`invalid ${kind} ${JSON.stringify(value)}: it ${problem}; use ${NAME_RULE}`);
  return value;
}
