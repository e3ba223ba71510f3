/**
 * The environment of every sync step function, as one zod schema over STEP_ENV's variable names.
 * Handlers validate it once at cold start; a missing or malformed variable fails loudly, naming it.
 */
import { z } from 'zod';
import { InvalidInput } from './errors';
import { STEP_ENV } from './sync-contract';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const stepEnvSchema = z.object({
  [STEP_ENV.siteId]: z.string().regex(/^[a-z0-9-]{1,32}$/, 'a site id: 1-32 characters of a-z, 0-9 and -'),
  [STEP_ENV.bucket]: z.string().min(1, 'the replica bucket name'),
  [STEP_ENV.zsatLaunchTemplate]: z.string().min(1, 'the zSAT launch template name'),
  [STEP_ENV.importerLaunchTemplate]: optionalText,
  [STEP_ENV.subnetId]: optionalText,
  [STEP_ENV.zsatSecurityGroup]: optionalText,
  [STEP_ENV.importerSecurityGroup]: optionalText,
  [STEP_ENV.bucketRegion]: optionalText,
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
  };
}
