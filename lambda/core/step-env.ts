/**
 * The environment of every sync step function, as one zod schema over STEP_ENV's variable names.
 * Handlers validate it once at cold start; a missing or malformed variable fails loudly, naming it.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { InvalidInput } from './errors';
import { NAME_PATTERN, NAME_RULE } from './names';
import { failbackStateMachineName, STEP_ENV, syncStateMachineName } from './sync-contract';
import type { WorkerSubnets } from './worker-subnets';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A JSON array of ids of one shape; unset or empty: none configured. */
const idList = (pattern: RegExp, what: string) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return [];
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && pattern.test(v))) {
        ctx.addIssue({ code: 'custom', message: `a JSON array of ${what}` });
        return z.NEVER;
      }
      return value as string[];
    });
/** Unset or empty: none configured (the default VPC). */
const subnetList = idList(/^subnet-[0-9a-f]{8,17}$/, 'subnet ids');
/** Unset or empty: the launch template's own type alone. */
const instanceTypeList = idList(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'EC2 instance types');

export const stepEnvSchema = z.object({
  [STEP_ENV.siteId]: z.string().regex(NAME_PATTERN, `a site id: ${NAME_RULE}`),
  [STEP_ENV.bucket]: z.string().min(1, 'the replica bucket name'),
  [STEP_ENV.zsatLaunchTemplate]: z.string().min(1, 'the zSAT launch template name'),
  [STEP_ENV.importerLaunchTemplate]: optionalText,
  [STEP_ENV.zsatSubnets]: subnetList,
  [STEP_ENV.importerSubnets]: subnetList,
  [STEP_ENV.importerSubnetsKey]: optionalText,
  [STEP_ENV.zsatInstanceTypes]: instanceTypeList,
  [STEP_ENV.importerInstanceTypes]: instanceTypeList,
  // Lambda sets it (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
  AWS_REGION: optionalText,
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
  /** The zSATs' subnets (agent.subnetIds); empty: the default VPC's default subnets. */
  readonly zsatSubnets: WorkerSubnets;
  /** The ZImporters' subnets (importer.subnetIds, else agent.subnetIds). */
  readonly importerSubnets: WorkerSubnets;
  /** The zSATs' instance types in order of preference (agent.instanceTypes); empty: the template's. */
  readonly zsatInstanceTypes: readonly string[];
  readonly importerInstanceTypes: readonly string[];
  /** The function's region (AWS_REGION), for messages. */
  readonly region?: string;
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
    zsatSubnets: { subnetIds: v[STEP_ENV.zsatSubnets], configKey: 'agent.subnetIds' },
    importerSubnets: { subnetIds: v[STEP_ENV.importerSubnets], configKey: v[STEP_ENV.importerSubnetsKey] ?? 'importer.subnetIds' },
    zsatInstanceTypes: v[STEP_ENV.zsatInstanceTypes],
    importerInstanceTypes: v[STEP_ENV.importerInstanceTypes],
    region: v.AWS_REGION,
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
  [STEP_ENV.siteId]: z.string().regex(NAME_PATTERN, `a site id: ${NAME_RULE}`),
  [STEP_ENV.sweeperStateMachineArnPrefix]: z.string().regex(/^arn:[^:]+:states:[^:]+:[^:]+:stateMachine:$/, 'a state machine ARN without its name: arn:<partition>:states:<region>:<account>:stateMachine:'),
  [STEP_ENV.sweeperVpgs]: jsonStrings('VPG names'),
  [STEP_ENV.sweeperMinGraceMinutes]: z.coerce.number().int().min(0, 'the configured grace in minutes'),
  [STEP_ENV.sweeperDryRun]: z.enum(['true', 'false'], { error: '"true" or "false" (the configured dry run)' }).optional(),
});

export interface SweeperEnv {
  /** State machines whose running executions own what they made: each VPG's sync and failback, by their conventional names. */
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
  const vpgs = v[STEP_ENV.sweeperVpgs];
  const prefix = v[STEP_ENV.sweeperStateMachineArnPrefix];
  return {
    stateMachineArns: vpgs.flatMap((vpg) => [syncStateMachineName, failbackStateMachineName].map((name) => `${prefix}${name(v[STEP_ENV.siteId], vpg)}`)),
    vpgs,
    minGraceMinutes: v[STEP_ENV.sweeperMinGraceMinutes],
    dryRun: v[STEP_ENV.sweeperDryRun] === 'true',
  };
}
