/**
 * The environment of every sync step function, as one zod schema over STEP_ENV's variable names.
 * Handlers validate it once at cold start; a missing or malformed variable fails loudly, naming it.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { InvalidInput } from './errors';
import { NAME_PATTERN, NAME_RULE } from './names';
import { STEP_ENV } from './sync-contract';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const stepEnvSchema = z.object({
  [STEP_ENV.siteId]: z.string().regex(NAME_PATTERN, `a site id: ${NAME_RULE}`),
  [STEP_ENV.bucket]: z.string().min(1, 'the replica bucket name'),
  [STEP_ENV.zsatLaunchTemplate]: z.string().min(1, 'the zSAT launch template name'),
  [STEP_ENV.importerLaunchTemplate]: optionalText,
  [STEP_ENV.subnetId]: optionalText,
  [STEP_ENV.zsatSecurityGroup]: optionalText,
  [STEP_ENV.importerSecurityGroup]: optionalText,
  [STEP_ENV.bucketRegion]: optionalText,
  // Every VPG step function has one; the site's sweeper and RPO probe serve every VPG and have none.
  [STEP_ENV.vpg]: optionalText,
});

export interface StepEnv {
  readonly siteId: string;
  readonly bucket: string;
  readonly zsatLaunchTemplate: string;
  readonly importerLaunchTemplate?: string;
  readonly subnetId?: string;
  readonly zsatSecurityGroup?: string;
  readonly importerSecurityGroup?: string;
  /** Region of the replica bucket; the SDK's default region when unset. */
  readonly bucketRegion?: string;
  /** The VPG this function serves; a step refuses an input of another VPG. Unset for site-level functions. */
  readonly vpg?: string;
}

export function parseStepEnv(env: Readonly<Record<string, string | undefined>>): StepEnv {
  const parsed = stepEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new InvalidInput(`step environment is invalid: ${problems.join('; ')}`);
  }
  const v = parsed.data;
  return {
    siteId: v[STEP_ENV.siteId],
    bucket: v[STEP_ENV.bucket],
    zsatLaunchTemplate: v[STEP_ENV.zsatLaunchTemplate],
    importerLaunchTemplate: v[STEP_ENV.importerLaunchTemplate],
    subnetId: v[STEP_ENV.subnetId],
    zsatSecurityGroup: v[STEP_ENV.zsatSecurityGroup],
    importerSecurityGroup: v[STEP_ENV.importerSecurityGroup],
    bucketRegion: v[STEP_ENV.bucketRegion],
    vpg: v[STEP_ENV.vpg],
  };
}

/** A JSON array of non-empty strings in an environment variable. */
const jsonStrings = (what: string) =>
  z.string().transform((text, ctx) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0)) {
      ctx.addIssue({ code: 'custom', message: `a JSON array of ${what}` });
      return z.NEVER;
    }
    return value as string[];
  });

/** What the sweeper watches, from its own environment (lib/sweeper.ts sets it; an event may only narrow it). */
export const sweeperEnvSchema = z.object({
  [STEP_ENV.sweeperStateMachines]: jsonStrings('state machine ARNs'),
  [STEP_ENV.sweeperVpgs]: jsonStrings('VPG names'),
  [STEP_ENV.sweeperMinGraceMinutes]: z.coerce.number().int().min(0, 'the configured grace in minutes'),
  [STEP_ENV.sweeperDryRun]: z.enum(['true', 'false'], { error: '"true" or "false" (the configured dry run)' }).optional(),
});

export interface SweeperEnv {
  /** State machines whose running executions own what they made. */
  readonly stateMachineArns: readonly string[];
  readonly vpgs: readonly string[];
  /** The configured grace: an event may ask for more, never less. */
  readonly minGraceMinutes: number;
  /** The configured dry run: when set, no event can make the sweeper delete. */
  readonly dryRun?: boolean;
}

export function parseSweeperEnv(env: Readonly<Record<string, string | undefined>>): SweeperEnv {
  const parsed = sweeperEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new InvalidInput(`sweeper environment is invalid: ${problems.join('; ')}`);
  }
  const v = parsed.data;
  return {
    stateMachineArns: v[STEP_ENV.sweeperStateMachines],
    vpgs: v[STEP_ENV.sweeperVpgs],
    minGraceMinutes: v[STEP_ENV.sweeperMinGraceMinutes],
    dryRun: v[STEP_ENV.sweeperDryRun] === 'true',
  };
}
