/**
 * zod schemas of the journal state machine's payloads (a split site's compaction in the recovery site,
 * lib/journal-state-machine.ts); journal/contract.ts derives the types from them (z.output).
 */
// a namespace import lets esbuild drop what is unused (`import { z }` keeps all of zod, its 40 locales too)
import * as z from 'zod';
import { caughtErrorSchema, vpgRuntimeSchema } from '../sync/schemas';

/** The Init state: the VPG as the construct embeds it, and who this execution is. */
export const journalInputSchema = z.object({
  vpg: vpgRuntimeSchema,
  executionId: z.string().min(1),
  stateMachineArn: z.string().min(1),
  startedAt: z.string().min(1),
});

/** Begin: the VPG's lease taken (with its fencing token), or this run skipped with the reason. */
export const journalBeginOutputSchema = z.object({
  skipped: z.boolean(),
  /** Why it skipped: who holds the lease, and until when at the latest. */
  reason: z.string().optional(),
  lease: z.object({ token: z.number().int().positive() }).optional(),
});

/** CompactJournal runs only with the lease Begin took. */
export const journalCompactInputSchema = journalInputSchema.extend({
  begin: journalBeginOutputSchema.extend({ skipped: z.literal(false), lease: z.object({ token: z.number().int().positive() }) }),
});

/** Release, after a compaction or after its failure (then with the caught error). */
export const journalReleaseInputSchema = journalInputSchema.extend({
  begin: journalBeginOutputSchema.partial().optional(),
  error: caughtErrorSchema.optional(),
});

export const journalReleaseOutputSchema = z.object({ released: z.boolean() });
