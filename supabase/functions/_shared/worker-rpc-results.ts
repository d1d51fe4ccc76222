import { z } from 'zod';

/**
 * What the state-machine functions answer, checked where the worker reads it: a migration that changes
 * an answer's shape fails the lane with a clear message instead of paging with `undefined`.
 *
 * Keys are `bigint` in the database and Typesense int64s: exact beyond 2^53. PostgREST writes them as
 * bare JSON numbers; the worker's client turns the unsafe ones into decimal strings (exactJsonFetch), so
 * a key arrives as a number or a string of digits and is read as a `bigint` here, never rounded.
 */
const keySchema = z
  .union([z.number().int(), z.string().regex(/^-?\d{1,19}$/, { error: 'an integer key' })])
  .transform((value) => BigInt(value));

const laneToStart = z.object({ job_id: z.uuid(), lane_no: z.number().int() });
const kick = z.array(laneToStart).optional();

const budget = z.object({ timeMs: z.number().int().optional(), cpuMs: z.number().int().optional() });

const claimedJobSchema = z.object({
  id: z.uuid(),
  organisation_id: z.uuid(),
  collection: z.string().min(1),
  key_field: z.string().min(1),
  mandatory_filter: z.string().nullable(),
  filter: z.string().nullable(),
  fields: z.array(z.string()).min(1),
  format: z.enum(['csv', 'ndjson']),
  page_size: z.number().int().positive(),
  neutralise_formulas: z.boolean(),
  budget,
});

export const claimedLaneSchema = z.object({
  lane_no: z.number().int().positive(),
  key_after: keySchema.nullable(),
  key_upper: keySchema.nullable(),
  cursor_key: keySchema.nullable(),
  next_seq: z.number().int().positive(),
  tail_complete: z.boolean(),
  dead_generations: z.array(z.number().int()),
  dead_seqs: z.array(z.number().int()),
});

const rerunSchema = z.object({
  shard_no: z.number().int(),
  lane_seq: z.number().int(),
  key_after: keySchema.nullable(),
  key_last: keySchema,
  rows: z.number().int(),
  sha256: z.string(),
});

export const claimSchema = z.discriminatedUnion('claimed', [
  z.object({
    claimed: z.literal(false),
    reason: z.string(),
    invocation_id: z.uuid().optional(),
    kick,
    // reason 'announced' (poll_export_baton): the key the predecessor's last page ends at.
    after_key: keySchema.optional(),
  }),
  z.object({
    claimed: z.literal(true),
    invocation_id: z.uuid(),
    generation: z.number().int(),
    job: claimedJobSchema,
    lane: claimedLaneSchema,
    reruns: z.array(rerunSchema),
  }),
]);

export const previewSchema = z.object({
  available: z.boolean(),
  job: claimedJobSchema.optional(),
  lane: claimedLaneSchema.optional(),
});

export const registeredSchema = z.object({
  registered: z.boolean(),
  invocation_id: z.uuid().optional(),
  job: claimedJobSchema.optional(),
  lane: claimedLaneSchema.optional(),
});

export const recordOutcomeSchema = z.object({
  outcome: z.enum(['recorded', 'passed', 'yielded', 'cancel_requested', 'lease_lost', 'stopped', 'source_changed']),
  heir_waiting: z.boolean().optional(),
  kick,
  detail: z.string().optional(),
});

export const finishedSchema = z.object({
  outcome: z.string(),
  job_status: z.string().optional(),
  rows_written: z.union([z.number(), z.string()]).optional(),
  estimated_rows: z.union([z.number(), z.string()]).nullable().optional(),
  storage_keys: z.array(z.string()).optional(),
  kick,
});

/** hand_off, fail, acknowledge_cancel: an outcome (or acknowledgement) and lanes to start. */
export const outcomeSchema = z.object({ outcome: z.string().optional(), kick });

export const announcedSchema = z.object({ announced: z.boolean() });

export const heartbeatSchema = z.object({ held: z.boolean() });

export type ClaimedJob = z.infer<typeof claimedJobSchema>;
export type ClaimedLane = z.infer<typeof claimedLaneSchema>;
export type Rerun = z.infer<typeof rerunSchema>;
export type Claim = z.infer<typeof claimSchema>;
export type RecordOutcome = z.infer<typeof recordOutcomeSchema>;
export type LaneToStart = z.infer<typeof laneToStart>;

/** Parses an answer, or fails the call as a database failure naming the function and the field. */
export function parseRpcResult<S extends z.ZodType>(fn: string, schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`${fn} answered an unexpected shape (${issue?.path.join('.') || 'answer'}: ${issue?.message})`);
}
