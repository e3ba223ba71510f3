/**
 * The environment of every Lambda function of a site, one zod schema per kind of function (the VPGs' steps, the
 * sweeper, the RPO probe) over the variable names below. The CDK side builds each environment through
 * `lambdaEnvironment(schema, …)`, typed from the schema's input, so a missing variable fails `tsc`; the handlers
 * validate it once at cold start, and a missing or malformed variable fails loudly, naming it.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too: 454 KB minified against 85)
import * as z from 'zod';
import { InvalidInput } from './errors';
import { NAME_PATTERN, NAME_RULE } from './names';
import { failbackStateMachineName, syncStateMachineName } from './resource-names';

/** The variables of the step functions and the sweeper. */
export const STEP_ENV = {
  siteId: 'LIFEBOAT_SITE_ID',
  bucket: 'LIFEBOAT_BUCKET',
  zsatLaunchTemplate: 'LIFEBOAT_ZSAT_LAUNCH_TEMPLATE',
  importerLaunchTemplate: 'LIFEBOAT_IMPORTER_LAUNCH_TEMPLATE',
  /** JSON array of the zSATs' subnets (agent.subnetIds), at most one per zone; empty or unset: the default VPC's. */
  zsatSubnets: 'LIFEBOAT_ZSAT_SUBNET_IDS',
  /** JSON array: agent.instanceTypes, tried in order (runtime/core/workers/launch.ts). */
  zsatInstanceTypes: 'LIFEBOAT_ZSAT_INSTANCE_TYPES',
  importerInstanceTypes: 'LIFEBOAT_IMPORTER_INSTANCE_TYPES',
  /** JSON array of the ZImporters' subnets (importer.subnetIds, else agent.subnetIds); empty or unset: the default VPC's. */
  importerSubnets: 'LIFEBOAT_IMPORTER_SUBNET_IDS',
  /** Which config key the importers' subnets come from, for messages (`importer.subnetIds` or `agent.subnetIds`). */
  importerSubnetsKey: 'LIFEBOAT_IMPORTER_SUBNETS_KEY',
  /**
   * Security groups of the worker templates. The templates put the group and AssociatePublicIpAddress on
   * NetworkInterfaces[0], so RunInstances must not pass a top-level SubnetId or SecurityGroupIds: to choose a subnet,
   * pass NetworkInterfaces [{DeviceIndex 0, SubnetId, Groups [this], AssociatePublicIpAddress, DeleteOnTermination true}]
   * with a public IP only in a default subnet (its only way to S3 is the internet gateway).
   */
  zsatSecurityGroup: 'LIFEBOAT_ZSAT_SECURITY_GROUP',
  importerSecurityGroup: 'LIFEBOAT_IMPORTER_SECURITY_GROUP',
  /** Region of the replica bucket: config store.region, else the stack's region. Always set. */
  bucketRegion: 'LIFEBOAT_BUCKET_REGION',
  /**
   * The protected instances' region, set on the failback steps of a recovery site in another region
   * (lib/site-placement.ts): a live failback stops the sources there. Unset: the function's own region.
   */
  protectedRegion: 'LIFEBOAT_PROTECTED_REGION',
  /** The VPG a step function serves (each VPG has its own functions and roles); unset for the site's sweeper and probe. */
  vpg: 'LIFEBOAT_VPG',
  /**
   * Sweeper only: `arn:<partition>:states:<region>:<account>:stateMachine:`. Each VPG's sync and failback state machine,
   * whose running executions own what they made, is this prefix and its conventional name (syncStateMachineName).
   */
  sweeperStateMachineArnPrefix: 'LIFEBOAT_SWEEPER_STATE_MACHINE_ARN_PREFIX',
  /** Sweeper only: the same prefix for the failback state machines, when they are in another region (a recovery site elsewhere). */
  sweeperFailbackArnPrefix: 'LIFEBOAT_SWEEPER_FAILBACK_ARN_PREFIX',
  /** Sweeper only: JSON array of the site's VPG names. */
  sweeperVpgs: 'LIFEBOAT_SWEEPER_VPGS',
  /** Sweeper only: the configured grace in minutes, a floor no event may lower. */
  sweeperMinGraceMinutes: 'LIFEBOAT_SWEEPER_MIN_GRACE_MINUTES',
  /** "true" when the config asks for dry runs only: an event cannot turn deletion on. */
  sweeperDryRun: 'LIFEBOAT_SWEEPER_DRY_RUN',
} as const;

/** The variables of the RPO probe (lib/monitoring.ts). */
export const PROBE_ENV = {
  siteId: STEP_ENV.siteId,
  bucket: STEP_ENV.bucket,
  bucketRegion: STEP_ENV.bucketRegion,
  /** The VPG names, comma-separated (names are [a-z0-9-]). */
  vpgs: 'LIFEBOAT_PROBE_VPGS',
  /** `arn:<partition>:states:<region>:<account>:stateMachine:`; state machine names follow the contract's convention. */
  stateMachineArnPrefix: 'LIFEBOAT_STATE_MACHINE_ARN_PREFIX',
  /** The same prefix for the sync state machines when they are in another region (a recovery site elsewhere). */
  syncArnPrefix: 'LIFEBOAT_PROBE_SYNC_ARN_PREFIX',
} as const;

/**
 * The variables a function's schema reads, as its CDK construct must set them: those the schema requires are
 * required here. AWS_REGION is Lambda's own (reserved: a function may not set it).
 */
export type EnvironmentOf<S extends z.ZodType> = Omit<{ [K in keyof z.input<S>]: z.input<S>[K] & (string | undefined) }, 'AWS_REGION'>;

/** A function's environment for CDK, checked against its schema's variables; unset optional ones are left out. */
export function lambdaEnvironment<S extends z.ZodType>(_schema: S, variables: EnvironmentOf<S>): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Parse an environment with a schema; on failure an InvalidInput naming each bad variable. */
function parseEnvironment<S extends z.ZodType>(schema: S, env: Readonly<Record<string, string | undefined>>, what: string): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new InvalidInput(`${what} environment is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A JSON array of strings each of which `accept`s, in an environment variable. */
const jsonStringArray = (what: string, accept: (v: string) => boolean) =>
  z.string().transform((text, ctx) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && accept(v))) {
      ctx.addIssue({ code: 'custom', message: `a JSON array of ${what}` });
      return z.NEVER;
    }
    return value as string[];
  });

/** A JSON array of ids of one shape; unset or empty: none configured. */
const idList = (pattern: RegExp, what: string) =>
  z
    .string()
    .optional()
    .transform((text) => (text === undefined || text.trim() === '' ? '[]' : text))
    .pipe(jsonStringArray(what, (v) => pattern.test(v)));
/** Unset or empty: none configured (the default VPC). */
const subnetList = idList(/^subnet-[0-9a-f]{8,17}$/, 'subnet ids');
/** Unset or empty: the launch template's own type alone. */
const instanceTypeList = idList(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'EC2 instance types');

const siteIdVariable = z.string({ error: 'missing: the site id' }).regex(NAME_PATTERN, `a site id: ${NAME_RULE}`);
const bucketVariable = z.string({ error: 'missing: the replica bucket name' }).min(1, 'the replica bucket name');
const stateMachineArnPrefix = z
  .string({ error: "missing: the state machines' ARN prefix" })
  .regex(/^arn:[^:]+:states:[^:]+:[^:]+:stateMachine:$/, 'a state machine ARN without its name: arn:<partition>:states:<region>:<account>:stateMachine:');

/** What a step function reads from its environment; the output is the StepEnv every step's dependencies carry. */
export const stepEnvSchema = z
  .object({
    [STEP_ENV.siteId]: siteIdVariable,
    [STEP_ENV.bucket]: bucketVariable,
    [STEP_ENV.zsatLaunchTemplate]: z.string({ error: 'missing: the zSAT launch template name' }).min(1, 'the zSAT launch template name'),
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
    [STEP_ENV.protectedRegion]: optionalText,
    // Every VPG step function has one; the site's sweeper and RPO probe serve every VPG and have none.
    [STEP_ENV.vpg]: optionalText,
  })
  .transform((v) => ({
    siteId: v[STEP_ENV.siteId],
    bucket: v[STEP_ENV.bucket],
    zsatLaunchTemplate: v[STEP_ENV.zsatLaunchTemplate],
    importerLaunchTemplate: v[STEP_ENV.importerLaunchTemplate],
    /** The zSATs' subnets (agent.subnetIds); empty: the default VPC's default subnets. */
    zsatSubnets: { subnetIds: v[STEP_ENV.zsatSubnets], configKey: 'agent.subnetIds' },
    /** The ZImporters' subnets (importer.subnetIds, else agent.subnetIds). */
    importerSubnets: { subnetIds: v[STEP_ENV.importerSubnets], configKey: v[STEP_ENV.importerSubnetsKey] ?? 'importer.subnetIds' },
    /** The zSATs' instance types in order of preference (agent.instanceTypes); empty: the template's. */
    zsatInstanceTypes: v[STEP_ENV.zsatInstanceTypes],
    importerInstanceTypes: v[STEP_ENV.importerInstanceTypes],
    /** The function's region (AWS_REGION), for messages. */
    region: v.AWS_REGION,
    zsatSecurityGroup: v[STEP_ENV.zsatSecurityGroup],
    importerSecurityGroup: v[STEP_ENV.importerSecurityGroup],
    /** Region of the replica bucket; the SDK's default region when unset. */
    bucketRegion: v[STEP_ENV.bucketRegion],
    /** The protected instances' region when it is not this function's (a recovery site elsewhere). */
    protectedRegion: v[STEP_ENV.protectedRegion],
    /** The VPG this function serves; a step refuses an input of another VPG. Unset for site-level functions. */
    vpg: v[STEP_ENV.vpg],
  }));

/** A step's environment as its dependencies carry it (tests build one directly; optional values may be left out). */
export type StepEnv = PartialUndefined<z.output<typeof stepEnvSchema>>;
/** The variables a step function's construct sets (lib/step-lambdas.ts). */
export type StepEnvironment = EnvironmentOf<typeof stepEnvSchema>;

export function parseStepEnv(env: Readonly<Record<string, string | undefined>>): StepEnv {
  return parseEnvironment(stepEnvSchema, env, 'step');
}

/** What the sweeper watches, from its own environment (lib/sweeper.ts sets it; an event may only narrow it). */
export const sweeperEnvSchema = z
  .object({
    [STEP_ENV.siteId]: siteIdVariable,
    [STEP_ENV.sweeperStateMachineArnPrefix]: stateMachineArnPrefix,
    [STEP_ENV.sweeperFailbackArnPrefix]: stateMachineArnPrefix.optional(),
    [STEP_ENV.sweeperVpgs]: jsonStringArray('VPG names', (v) => v.length > 0),
    [STEP_ENV.sweeperMinGraceMinutes]: z.coerce.number().int().min(0, 'the configured grace in minutes'),
    [STEP_ENV.sweeperDryRun]: z.enum(['true', 'false'], { error: '"true" or "false" (the configured dry run)' }).optional(),
  })
  .transform((v) => {
    const vpgs: readonly string[] = v[STEP_ENV.sweeperVpgs];
    const syncPrefix = v[STEP_ENV.sweeperStateMachineArnPrefix];
    const failbackPrefix = v[STEP_ENV.sweeperFailbackArnPrefix] ?? syncPrefix;
    const site = v[STEP_ENV.siteId];
    return {
      /** State machines whose running executions own what they made: each VPG's sync and failback, by their conventional names. */
      stateMachineArns: vpgs.flatMap((vpg) => [`${syncPrefix}${syncStateMachineName(site, vpg)}`, `${failbackPrefix}${failbackStateMachineName(site, vpg)}`]),
      vpgs,
      /** The configured grace: an event may ask for more, never less. */
      minGraceMinutes: v[STEP_ENV.sweeperMinGraceMinutes],
      /** The configured dry run: when set, no event can make the sweeper delete. */
      dryRun: v[STEP_ENV.sweeperDryRun] === 'true',
    };
  });

export type SweeperEnv = PartialUndefined<z.output<typeof sweeperEnvSchema>, 'dryRun'>;
/** The sweeper reads both its own variables and a step's (it builds the same store and EC2 ports). */
export type SweeperEnvironment = EnvironmentOf<typeof sweeperEnvSchema> & StepEnvironment;

export function parseSweeperEnv(env: Readonly<Record<string, string | undefined>>): SweeperEnv {
  return parseEnvironment(sweeperEnvSchema, env, 'sweeper');
}

export interface ProbeTarget {
  readonly vpg: string;
  readonly syncArn: string;
  readonly failbackArn: string;
}

/** The RPO probe's environment (lib/monitoring.ts sets it). */
export const probeEnvSchema = z
  .object({
    [PROBE_ENV.siteId]: siteIdVariable,
    [PROBE_ENV.bucket]: bucketVariable,
    [PROBE_ENV.bucketRegion]: optionalText,
    [PROBE_ENV.vpgs]: z.string({ error: 'missing: the VPG names, comma-separated' }),
    [PROBE_ENV.stateMachineArnPrefix]: stateMachineArnPrefix,
    [PROBE_ENV.syncArnPrefix]: stateMachineArnPrefix.optional(),
  })
  .transform((v) => {
    const siteId = v[PROBE_ENV.siteId];
    const prefix = v[PROBE_ENV.stateMachineArnPrefix];
    const vpgs = v[PROBE_ENV.vpgs]
      .split(',')
      .map((vpg) => vpg.trim())
      .filter(Boolean);
    const targets: readonly ProbeTarget[] = vpgs.map((vpg) => ({
      vpg,
      syncArn: `${v[PROBE_ENV.syncArnPrefix] ?? prefix}${syncStateMachineName(siteId, vpg)}`,
      failbackArn: `${prefix}${failbackStateMachineName(siteId, vpg)}`,
    }));
    return { siteId, bucket: v[PROBE_ENV.bucket], bucketRegion: v[PROBE_ENV.bucketRegion], targets };
  });

export type ProbeEnv = PartialUndefined<z.output<typeof probeEnvSchema>>;
export type ProbeEnvironment = EnvironmentOf<typeof probeEnvSchema>;

export function parseProbeEnv(env: Readonly<Record<string, string | undefined>>): ProbeEnv {
  return parseEnvironment(probeEnvSchema, env, 'RPO probe');
}

/** T with every key whose value may be undefined made optional (and readonly): what a test may leave out. */
type PartialUndefined<T, Also extends keyof T = never> = {
  readonly [K in keyof T as undefined extends T[K] ? K : K extends Also ? K : never]?: T[K];
} & { readonly [K in keyof T as undefined extends T[K] ? never : K extends Also ? never : K]: T[K] };
