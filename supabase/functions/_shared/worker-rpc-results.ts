import { z } from 'zod';
import type { Database, Json } from './database.types.ts';
import type { RpcName } from './worker-rpc-args.ts';

/**
 * What the database's functions answer the worker, checked where the worker reads it: a migration that
 * changes an answer's shape fails the lane with a clear message instead of paging with `undefined` — and,
 * where the generated `Database` type knows the shape, fails the build first (`rpcAnswers` below).
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

const claimSchema = z.discriminatedUnion('claimed', [
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

const previewSchema = z.object({
  available: z.boolean(),
  job: claimedJobSchema.optional(),
  lane: claimedLaneSchema.optional(),
});

const registeredSchema = z.object({
  registered: z.boolean(),
  invocation_id: z.uuid().optional(),
  job: claimedJobSchema.optional(),
  lane: claimedLaneSchema.optional(),
});

const recordOutcomeSchema = z.object({
  outcome: z.enum(['recorded', 'passed', 'yielded', 'cancel_requested', 'lease_lost', 'stopped', 'source_changed']),
  heir_waiting: z.boolean().optional(),
  kick,
  detail: z.string().optional(),
});

const finishedSchema = z.object({
  outcome: z.string(),
  job_status: z.string().optional(),
  rows_written: z.union([z.number(), z.string()]).optional(),
  estimated_rows: z.union([z.number(), z.string()]).nullable().optional(),
  storage_keys: z.array(z.string()).optional(),
  kick,
});

/** hand_off, fail, acknowledge_cancel: an outcome (or acknowledgement) and lanes to start. */
const outcomeSchema = z.object({ outcome: z.string().optional(), kick });

const announcedSchema = z.object({ announced: z.boolean() });

const heartbeatSchema = z.object({ held: z.boolean() });

/** begin_export_cleanup, begin_export_expiry: whether this worker took the job's clean-up, and what it needs for it. */
const cleanupTakenSchema = z.union([
  z.object({ taken: z.literal(false) }),
  z.object({ taken: z.literal(true), organisation_id: z.uuid(), lane_count: z.number().int().min(1) }),
]);

type Returns<F extends RpcName> = Database['public']['Functions'][F]['Returns'];

/** Whether two types are the same type (not only assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** What `tsc` says when a schema reads another shape than the function returns. */
type AnswerMismatch<F extends RpcName, Read> = {
  'the schema reads another shape than Database says the function returns': F;
  schema: Read;
  returns: Returns<F>;
};

/**
 * The schema an answer is read with, as its function's generated `Returns` allows:
 * - `Json` (a `jsonb` answer): the generated type knows nothing of its shape, so the schema, at run time,
 *   is the check;
 * - any other type (an array, a row, a set of rows): the schema's output must be exactly that type, both
 *   ways — a column added, dropped or retyped by a migration fails the build. (No such answer the worker
 *   reads holds an int64: keys come inside jsonb answers, read as bigint by `keySchema`. One that does
 *   would declare its int64 fields, as worker-rpc-args.ts declares keys, and compare them mapped to bigint.)
 */
type AnswerSchema<F, S> = F extends RpcName
  ? S extends z.ZodType
    ? Same<Returns<F>, Json> extends true
      ? S
      : Same<z.output<S>, Returns<F>> extends true
        ? S
        : AnswerMismatch<F, z.output<S>>
    : z.ZodType
  : never;

const checkedAnswers = <T extends { [F in keyof T]: AnswerSchema<F, T[F]> }>(schemas: T): T => schemas;

/** Every function whose answer the worker reads, and the one schema it is read with. */
const rpcAnswers = checkedAnswers({
  // Returns Json: checked at run time only.
  claim_export_lane: claimSchema,
  poll_export_baton: claimSchema,
  preview_export_heir: previewSchema,
  register_export_heir: registeredSchema,
  announce_export_baton: announcedSchema,
  heartbeat_export_lane: heartbeatSchema,
  record_export_shard: recordOutcomeSchema,
  hand_off_export_lane: outcomeSchema,
  fail_export_lane: outcomeSchema,
  acknowledge_export_cancel: outcomeSchema,
  finish_export_lane: finishedSchema,
  begin_export_cleanup: cleanupTakenSchema,
  // The same shape: the organisation and lane count of the folders to empty.
  begin_export_expiry: cleanupTakenSchema,
  // Returns string[] (text[]): checked by the build as well.
  unreferenced_export_objects: z.array(z.string()),
});

/** A function whose answer the worker reads (callState, storage-cleanup.ts); the others it calls return nothing. */
export type AnsweringRpc = keyof typeof rpcAnswers & RpcName;

/** A function's answer as its schema reads it (keys as bigint). */
export type RpcAnswer<F extends AnsweringRpc> = z.output<(typeof rpcAnswers)[F]>;

export type ClaimedJob = z.infer<typeof claimedJobSchema>;
export type ClaimedLane = z.infer<typeof claimedLaneSchema>;
export type Rerun = z.infer<typeof rerunSchema>;
export type Claim = z.infer<typeof claimSchema>;
export type RecordOutcome = z.infer<typeof recordOutcomeSchema>;
export type LaneToStart = z.infer<typeof laneToStart>;

/** Reads a function's answer with its schema, or throws naming the function and the field. */
export function parseRpcResult<F extends AnsweringRpc>(fn: F, value: unknown): RpcAnswer<F> {
  const schema: z.ZodType = rpcAnswers[fn];
  const result = schema.safeParse(value);
  // `fn`'s own schema read it: its output is RpcAnswer<F> (tsc cannot follow a schema picked by a generic name).
  if (result.success) return result.data as RpcAnswer<F>;
  const issue = result.error.issues[0];
  throw new Error(`${fn} answered an unexpected shape (${issue?.path.join('.') || 'answer'}: ${issue?.message})`);
}
