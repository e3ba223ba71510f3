/**
 * The instance types a worker kind launches, first preferred: `instanceTypes`, else `[instanceType]`, else the
 * default. The launch template names the first; the launching step tries the others in order when EC2 answers
 * InsufficientInstanceCapacity or Unsupported for one (runtime/core/workers/launch.ts). All must share one
 * architecture: the template's AMI is x86_64 or arm64 (lib/worker-launch-template.ts).
 */
import type { SiteConfig, WorkerConfig } from './config-schema';
import type { WorkerKind } from './config-network';

export const DEFAULT_WORKER_INSTANCE_TYPE = 'c6i.large';

/** Graviton families (c7g, m6gd, t4g, g5g…) need the arm64 AMI. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType);
}

type Problem = { path: ReadonlyArray<PropertyKey>; text: string };

export function instanceTypesOf(worker: WorkerConfig): readonly string[] {
  return worker.instanceTypes ?? [worker.instanceType ?? DEFAULT_WORKER_INSTANCE_TYPE];
}

const architecture = (type: string) => (isArmInstanceType(type) ? 'arm64 (Graviton)' : 'x86_64');

export function instanceTypeProblems(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  for (const kind of ['agent', 'importer'] as const satisfies readonly WorkerKind[]) {
    const w = config[kind];
    if (w.instanceType && w.instanceTypes && w.instanceType !== w.instanceTypes[0]) {
      problems.push({
        path: [kind, 'instanceType'],
        text: `is ${w.instanceType} but ${kind}.instanceTypes starts with ${w.instanceTypes[0]}; keep one: instanceTypes (the preferred first) replaces instanceType`,
      });
    }
    const types = w.instanceTypes ?? [];
    const first = types[0];
    types.forEach((type, j) => {
      const seen = types.indexOf(type);
      if (seen !== j) problems.push({ path: [kind, 'instanceTypes', j], text: `is ${type} again (also ${kind}.instanceTypes[${seen}]); list each type once` });
      else if (first && architecture(type) !== architecture(first)) {
        problems.push({
          path: [kind, 'instanceTypes', j],
          text: `is ${type}, an ${architecture(type)} type, but ${first} is ${architecture(first)}; the worker image has one architecture, so list types of one architecture only`,
        });
      }
    });
  }
  return problems;
}
