/** Pure planning of a recovery: which importer writes which volumes, and the order recovered VMs boot in. */
import { createHash } from 'node:crypto';
import type { ImportVolumePlan } from './contract';

export interface ImporterGroup {
  readonly index: number;
  readonly sourceVolumeIds: readonly string[];
  readonly bytes: number;
}

/**
 * The fewest importers that respect volumesPerImporter, balanced by volume size (largest first onto the
 * least loaded importer). Every volume gets a target, even an empty one: the recovered VM needs all its disks.
 */
export function groupImportVolumes(volumes: readonly ImportVolumePlan[], volumesPerImporter: number): ImporterGroup[] {
  if (!Number.isInteger(volumesPerImporter) || volumesPerImporter < 1)
    throw new RangeError(`volumesPerImporter must be a positive integer, got ${volumesPerImporter}`);
  const sorted = [...volumes].sort((a, b) => b.sizeBytes - a.sizeBytes || a.sourceVolumeId.localeCompare(b.sourceVolumeId));
  const bins = Array.from({ length: Math.ceil(sorted.length / volumesPerImporter) }, () => ({ ids: [] as string[], bytes: 0 }));
  for (const v of sorted) {
    const open = bins.filter((b) => b.ids.length < volumesPerImporter);
    const target = open.reduce((least, b) => (b.bytes < least.bytes ? b : least));
    target.ids.push(v.sourceVolumeId);
    target.bytes += v.sizeBytes;
  }
  return bins.map((b, index) => ({ index, sourceVolumeIds: [...b.ids].sort(), bytes: b.bytes }));
}

/** Source instances in boot order: those the recovery plan names first (in its order), then the rest by id. */
export function bootSequence(sourceInstanceIds: readonly string[], bootOrder: readonly string[] = []): string[] {
  const present = new Set(sourceInstanceIds);
  const first = [...new Set(bootOrder)].filter((id) => present.has(id));
  const named = new Set(first);
  const rest = [...present].filter((id) => !named.has(id)).sort();
  return [...first, ...rest];
}

/** The instance type of a recovered VM: the request's override, else the source's, else the recovery plan's, else a default. */
export function recoveredInstanceType(args: { override?: string; sourceType?: string; recoveryType?: string; fallback: string }): string {
  return args.override ?? args.sourceType ?? args.recoveryType ?? args.fallback;
}

/** GiB an EBS volume needs to hold sizeBytes. */
export function volumeSizeGiB(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / 1024 ** 3));
}

/**
 * EC2 client tokens are at most 64 ASCII characters; longer ones are hashed down. They name the VPG as well as
 * the execution: failback executions of two VPGs may share a name (the CLI and the console name them freely),
 * and a token reused with other parameters fails with IdempotentParameterMismatch.
 */
export function importClientToken(vpg: string, importId: string, what: string): string {
  const raw = `${vpg}-${importId}-${what}`;
  return raw.length <= 64 ? raw : `t${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
}

/** The execution's name (a store key segment: `imports/<importId>/`), hashed when it is not a safe segment. */
export function importIdFor(executionId: string): string {
  const name = executionId.split(':').pop() ?? executionId;
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/.test(name) ? name : `f${createHash('sha256').update(executionId).digest('hex').slice(0, 12)}`;
}

export function importerJobId(index: number): string {
  return `imp-${index}`;
}
