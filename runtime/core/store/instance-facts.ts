/**
 * What a checkpoint records of each protected instance so that a recovery can launch it where its instance, its
 * image and its keys do not exist (another region or account): how it boots (architecture, boot mode, root device,
 * virtualization, ENA), what it runs (platform, instance type), its own tags, and where it sat (subnet, groups,
 * private IPs) for a recovery mapping to map from. Its volumes' type, IOPS and throughput are on the manifest's
 * volume entries. Older manifests have none of it: every reader accepts a manifest without `instances`.
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too)
import * as z from 'zod';

export const checkpointInstanceSchema = z.object({
  instanceId: z.string().min(1),
  instanceType: z.string().min(1),
  /** EC2's architecture: i386, x86_64, arm64, x86_64_mac, arm64_mac. */
  architecture: z.string().min(1),
  /** The boot mode it ran in (CurrentInstanceBootMode, else its image's BootMode): legacy-bios, uefi, uefi-preferred. */
  bootMode: z.string().min(1).optional(),
  rootDeviceName: z.string().min(1),
  /** hvm or paravirtual. */
  virtualizationType: z.string().min(1),
  enaSupport: z.boolean(),
  /** PlatformDetails: "Linux/UNIX", "Windows", "Red Hat Enterprise Linux"…; absent when EC2 did not say. */
  platform: z.string().min(1).optional(),
  /** Its own tags: never `aws:*` (EC2's, not settable), never Lifeboat's (a protected instance has none). */
  tags: z.record(z.string(), z.string()),
  /** Where it was: what a recovery mapping maps from. */
  network: z.object({
    subnetId: z.string().min(1).optional(),
    securityGroupIds: z.array(z.string().min(1)),
    /** The primary private IPv4 address first. */
    privateIps: z.array(z.string().min(1)),
  }),
});
export type CheckpointInstance = z.output<typeof checkpointInstanceSchema>;

/** A volume's EBS settings at the checkpoint, kept on its manifest entry. */
export const volumeFactsSchema = z.object({
  volumeType: z.string().min(1).optional(),
  iops: z.number().int().positive().optional(),
  throughput: z.number().int().positive().optional(),
});
export type VolumeFacts = z.output<typeof volumeFactsSchema>;

/** What Begin writes beside the sync's other working files for Commit to put in the manifest (not in the payload). */
export const syncFactsSchema = z.object({
  format: z.literal(1),
  instances: z.array(checkpointInstanceSchema),
  /** source volume id → its facts. */
  volumes: z.record(z.string(), volumeFactsSchema),
});
export type SyncFacts = z.output<typeof syncFactsSchema>;

/** The manifest's `instances`, checked: null when they are fine (or absent), else where and why they are not. */
export function instancesProblem(raw: unknown, volumeInstanceIds: ReadonlySet<string>): { key: string; reason: string } | null {
  if (raw === undefined) return null;
  const parsed = z.array(checkpointInstanceSchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = ['instances', ...issue.path].map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
    return { key, reason: `${key}: ${issue.message}` };
  }
  const seen = new Set<string>();
  for (const [i, instance] of parsed.data.entries()) {
    if (seen.has(instance.instanceId)) return { key: `instances[${i}]`, reason: `instance ${instance.instanceId} is listed twice` };
    seen.add(instance.instanceId);
    if (!volumeInstanceIds.has(instance.instanceId))
      return { key: `instances[${i}]`, reason: `instance ${instance.instanceId} owns none of the checkpoint's volumes` };
  }
  return null;
}

const AWS_TAG = /^aws:/i;

/** An instance's tags a copy of it may carry: EC2 refuses `aws:` keys in a request. */
export function userTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !AWS_TAG.test(k)));
}
