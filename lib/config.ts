/**
 * The site config: read once, validated strictly, defaults applied, then checked across fields.
 * Every problem becomes one line `<file>: <json path>: <what is wrong>; <what is allowed / the fix>`.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import type { VpgRuntimeLiteral } from '../runtime/core/sync/contract';
import { duplicateKeyProblems } from './config-json';
import { siteCapacityProblems } from './config-capacity';
import { derivedNameProblems } from './config-names';
import { networkProblems } from './config-network';
import { instanceTypeProblems } from './config-instance-types';
import { siteConfigSchema, type SiteConfig, type VpgConfig } from './config-schema';
import { selectorProblems } from './config-selectors';

export type { SiteConfig, VpgConfig, WorkerConfig, StoreConfig } from './config-schema';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Path = ReadonlyArray<PropertyKey>;

/** `['vpgs', 1, 'syncIntervalMinutes']` → `vpgs[1].syncIntervalMinutes`; the root is `(root)`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(json: unknown, path: Path): unknown {
  let here: unknown = json;
  for (const part of path) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<PropertyKey, unknown>)[part as string];
  }
  return here;
}

function describeIssue(json: unknown, issue: z.core.$ZodIssue): Array<{ path: Path; text: string }> {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      text: 'is not a known key; remove it or check its spelling (docs/config.md lists every key)',
    }));
  }
  if (issue.code === 'invalid_key') {
    // The record's own message would hide why the key is refused: use the key's.
    return issue.issues.map((inner) => ({ path: issue.path, text: `is not an allowed key; it ${inner.message}` }));
  }
  const missing = valueAt(json, issue.path) === undefined;
  const allowed = issue.message.startsWith('Invalid input') ? `expected ${'expected' in issue ? String(issue.expected) : 'another value'}` : issue.message;
  return [{ path: issue.path, text: missing ? `is missing; it ${allowed}` : `is wrong; it ${allowed}` }];
}

/** One problem: its JSON path and `<what is wrong>; <the fix>`. */
export type ConfigProblem = { path: Path; text: string };
type Problem = ConfigProblem;

/** VPG names are unique and an instance belongs to one VPG; `vpgs[i]` is the i-th VPG of the file. */
function vpgSetProblems(vpgs: ReadonlyArray<{ name: string; ids: readonly string[] }>): Problem[] {
  const problems: Problem[] = [];
  const vpgByName = new Map<string, number>();
  const vpgByInstance = new Map<string, string>();
  vpgs.forEach((vpg, i) => {
    const first = vpgByName.get(vpg.name);
    if (first !== undefined) {
      problems.push({ path: ['vpgs', i, 'name'], text: `is "${vpg.name}" again (also vpgs[${first}]); VPG names must be unique in a site` });
    } else vpgByName.set(vpg.name, i);
    vpg.ids.forEach((id, j) => {
      const other = vpgByInstance.get(id);
      if (other !== undefined && other !== vpg.name) {
        problems.push({
          path: ['vpgs', i, 'instances', 'ids', j],
          text: `instance ${id} is already protected by VPG "${other}"; an instance belongs to one VPG only`,
        });
      } else vpgByInstance.set(id, vpg.name);
    });
  });
  return problems;
}

/** The same checks on raw JSON, so they are reported even when other keys are malformed. */
function rawVpgSetProblems(json: unknown): Problem[] {
  const vpgs = valueAt(json, ['vpgs']);
  if (!Array.isArray(vpgs)) return [];
  return vpgSetProblems(
    vpgs.map((v, i) => {
      const name = valueAt(v, ['name']);
      const ids = valueAt(v, ['instances', 'ids']);
      return {
        name: typeof name === 'string' ? name : `\u0000unnamed-${i}`,
        ids: Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [],
      };
    }),
  );
}

/** Checks zod cannot express per field: uniqueness and references between keys. */
function crossFieldProblems(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  problems.push(...vpgSetProblems(config.vpgs.map((vpg) => ({ name: vpg.name, ids: vpg.instances.ids ?? [] }))));
  config.vpgs.forEach((vpg, i) => {
    const ids = vpg.instances.ids ?? [];
    const tags = vpg.instances.tags ?? {};
    if (ids.length === 0 && Object.keys(tags).length === 0) {
      problems.push({ path: ['vpgs', i, 'instances'], text: 'selects nothing; give "ids" (instance ids) or "tags" (tag key → value), not empty' });
    }

    if (vpg.journalHours * 60 < vpg.syncIntervalMinutes) {
      problems.push({
        path: ['vpgs', i, 'journalHours'],
        text: `(${vpg.journalHours} h) is shorter than one sync interval (${vpg.syncIntervalMinutes} min); make it at least ${Math.ceil(vpg.syncIntervalMinutes / 60)} h`,
      });
    }
    problems.push(...recoveryReferenceProblems(vpg, i));
  });
  problems.push(...selectorProblems(config), ...derivedNameProblems(config), ...siteCapacityProblems(config), ...objectLockProblems(config));

  problems.push(...networkProblems(config), ...instanceTypeProblems(config));
  const store = config.store;
  if (store.region && !store.bucketName) {
    problems.push({
      path: ['store', 'region'],
      text: 'needs store.bucketName; the site stack creates a bucket only in its own region, so name an existing bucket in that region',
    });
  }
  const recovery = config.recoverySite;
  if (recovery && store.region && store.region !== recovery.region) {
    problems.push({
      path: ['store', 'region'],
      text: `(${store.region}) differs from recoverySite.region (${recovery.region}); the replica store lives in the recovery site: remove store.region or make it ${recovery.region}`,
    });
  }
  if (recovery && store.encryption === 'kms') {
    problems.push({
      path: ['store', 'encryption'],
      text: '"kms" is not yet supported with recoverySite (the protected side would need the recovery site\'s key by ARN); use "s3" (SSE-S3), or leave recoverySite out',
    });
  }
  if (store.bucketName && store.objectLock) {
    problems.push({
      path: ['store', 'objectLock'],
      text: 'applies only to a bucket the site stack creates; configure object lock on your bucket, or remove store.bucketName',
    });
  }
  if (store.bucketName && store.encryption === 'kms') {
    problems.push({ path: ['store', 'encryption'], text: '"kms" applies only to a bucket the site stack creates; remove it or remove store.bucketName' });
  }
  if (config.heartbeatTimeoutSeconds < 2 * config.pollSeconds) {
    problems.push({
      path: ['heartbeatTimeoutSeconds'],
      text: `(${config.heartbeatTimeoutSeconds}) must be at least twice pollSeconds (${config.pollSeconds}), or a healthy zSAT looks dead between two polls`,
    });
  }
  return problems;
}

/**
 * lib/replica-bucket.ts's lifecycle expires a version 7 days after it stops being current (a compaction's delete
 * makes it so); test/lib/config.test.ts checks the synthesized bucket says the same.
 */
export const NONCURRENT_VERSION_DAYS = 7;

/**
 * Object Lock gives every version a retain-until date of its creation plus store.objectLock.days, and until then
 * neither a DeleteObject of that version nor a lifecycle expiration removes it; in COMPLIANCE mode no one, root
 * included, can shorten it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html). Compaction drops
 * checkpoints (and the packs only they use) once they are journalHours old, and the bucket keeps the dropped
 * versions NONCURRENT_VERSION_DAYS more; a lock up to that long costs nothing, a longer one keeps every dropped
 * version, of the VPG with the shortest journal first, until the lock ends, freeing no space meanwhile.
 */
function objectLockProblems(config: SiteConfig): Problem[] {
  const lock = config.store.objectLock;
  if (!lock) return [];
  const shortest = config.vpgs.reduce((best, vpg, i) => (vpg.journalHours < config.vpgs[best].journalHours ? i : best), 0);
  const journal = config.vpgs[shortest].journalHours;
  const keptHours = journal + NONCURRENT_VERSION_DAYS * 24;
  if (lock.days * 24 <= keptHours) return [];
  const who =
    lock.mode === 'COMPLIANCE' ? 'and in COMPLIANCE mode no one, root included, can delete them' : 'unless someone deletes each version with governance bypass';
  return [
    {
      path: ['store', 'objectLock', 'days'],
      text:
        `(${lock.days} days) locks every object version ${lock.days * 24} h, longer than VPG "${config.vpgs[shortest].name}" keeps it: its journal (vpgs[${shortest}].journalHours, ${journal} h) plus the ${NONCURRENT_VERSION_DAYS} days the bucket keeps a deleted version (${keptHours} h in all); ` +
        `the versions compaction deletes would stay, and cost, ${lock.days * 24 - keptHours} h longer, ${who}; ` +
        `set store.objectLock.days to at most ${Math.floor(keptHours / 24)}, or raise vpgs[${shortest}].journalHours to at least ${lock.days * 24 - NONCURRENT_VERSION_DAYS * 24}`,
    },
  ];
}

/** With ids only, the recovery plan may name only those instances. */
function recoveryReferenceProblems(vpg: VpgConfig, i: number): Problem[] {
  if (vpg.instances.tags && Object.keys(vpg.instances.tags).length > 0) return [];
  const known = new Set(vpg.instances.ids ?? []);
  const problems: Problem[] = [];
  for (const id of Object.keys(vpg.recovery.privateIps ?? {})) {
    if (!known.has(id))
      problems.push({
        path: ['vpgs', i, 'recovery', 'privateIps', id],
        text: `names ${id}, which is not in this VPG's instances.ids; use a protected instance id`,
      });
  }
  (vpg.recovery.bootOrder ?? []).forEach((id, j) => {
    if (!known.has(id))
      problems.push({
        path: ['vpgs', i, 'recovery', 'bootOrder', j],
        text: `names ${id}, which is not in this VPG's instances.ids; use a protected instance id`,
      });
  });
  return problems;
}

/** Validates parsed JSON; `source` (usually the file path) prefixes every problem line. */
export function parseConfig(json: unknown, source: string): SiteConfig {
  const result = siteConfigSchema.safeParse(json);
  const problems: Problem[] = result.success
    ? crossFieldProblems(result.data)
    : [...result.error.issues.flatMap((issue) => describeIssue(json, issue)), ...rawVpgSetProblems(json)];
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${source}: ${formatPath(p.path)}: ${p.text}`));
  return result.data as SiteConfig;
}

export function loadConfig(path: string): SiteConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError([`${path}: (root): cannot read the file (${code}); pass an existing file with -c config=PATH`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${path}: (root): is not valid JSON (${(err as Error).message}); fix the syntax`]);
  }
  // Duplicate keys are reported together with every other problem, all in one go.
  const problems = duplicateKeyProblems(text).map((p) => `${path}: ${formatPath(p.path)}: ${p.text}`);
  let config: SiteConfig | undefined;
  try {
    config = parseConfig(json, path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}

/** Deploy-time facts the VPG's state machine needs beside the config. */
export interface VpgRuntimeExtras {
  /** Instance profile ARN of this VPG's agents (a CDK token in a stack); '' when none. */
  readonly agentInstanceProfileArn: string;
  /** The replica store's bucket name (a CDK token in a stack). */
  readonly storeBucket: string;
}

/** The VpgRuntime literal the VPG's sync state machine embeds in its Init state. */
export function vpgRuntime(site: SiteConfig, vpg: VpgConfig, extras: VpgRuntimeExtras): VpgRuntimeLiteral {
  return {
    name: vpg.name,
    instanceIds: [...(vpg.instances.ids ?? [])],
    instanceTags: { ...(vpg.instances.tags ?? {}) },
    syncIntervalMinutes: vpg.syncIntervalMinutes,
    journalHours: vpg.journalHours,
    volumesPerZsat: site.agent.volumesPerZsat,
    maxZsats: site.agent.maxZsats,
    pollSeconds: site.pollSeconds,
    heartbeatTimeoutSeconds: site.heartbeatTimeoutSeconds,
    agentInstanceProfileArn: extras.agentInstanceProfileArn,
    storeBucket: extras.storeBucket,
  };
}
