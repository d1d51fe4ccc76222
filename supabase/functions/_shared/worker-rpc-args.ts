import type { Database } from './database.types.ts';

/**
 * The arguments the worker sends to the database's functions, typed by the generated `Database`
 * (database.types.ts, `npm run db:types`): a function that does not exist, or an argument missing,
 * misspelled or of the wrong type, fails `tsc` and `deno check` — a migration that changes a signature
 * fails the build, not a lane.
 *
 * They are typed as they travel: JSON, which PostgREST casts to each parameter's type. The generated type
 * cannot say two things about that, so they are declared below, by name (a name the function does not
 * have fails the build too):
 *
 * - int64 keys. The generator writes `number` for `bigint` as for `integer`, but a JSON number cannot
 *   carry an int64 beyond 2^53 (Typesense keys can be any int64): a key is sent as decimal digits
 *   (`keyArg`), which PostgREST casts exactly, and no number is accepted in its place. The other `bigint`
 *   parameters (the lease generation, byte counts) stay `number`: they count things and stay far below 2^53.
 * - NULL. Postgres passes NULL to any parameter and the generator types none as nullable; the worker sends
 *   null only where the function gives it a meaning.
 */

export type RpcName = keyof Database['public']['Functions'];

type Args<F extends RpcName> = Database['public']['Functions'][F]['Args'];

/** Decimal digits of an int64: how the database takes a key. */
export type Int64Digits = `${bigint}`;

/** Some parameters of some functions, by name; checked against the generated type. */
type ParamsOf<T extends { [F in keyof T]: F extends RpcName ? keyof Args<F> : never }> = T;

/** The int64 keys: `bigint` in the database, sent as digits. */
type Int64KeyParams = ParamsOf<{
  announce_export_baton: 'p_after_key';
  poll_export_baton: 'p_seen_after_key';
  record_export_shard: 'p_key_after' | 'p_key_last';
}>;

/** Where NULL means something to the function (supabase/schema.sql). */
type NullableParams = ParamsOf<{
  /** Whichever lane of the job waits. */
  claim_export_lane: 'p_lane_no';
  /** The invocation ended without an error. */
  end_export_invocation: 'p_error';
  /** No announcement seen yet. */
  poll_export_baton: 'p_seen_after_key';
  /** A new shard (not a re-run); the lane's first shard, which starts after no key. */
  record_export_shard: 'p_shard_no' | 'p_key_after';
}>;

type Declared<T, F> = F extends keyof T ? T[F] : never;

/** A function's arguments as the worker sends them: the generated `Args`, keys as digits, NULL where declared. */
export type RpcArgs<F extends RpcName> = {
  [K in keyof Args<F>]:
    | (K extends Declared<Int64KeyParams, F> ? Int64Digits : Args<F>[K])
    | (K extends Declared<NullableParams, F> ? null : never);
};

/** A key as the database takes it: decimal digits (a JSON number cannot carry an int64 beyond 2^53). */
export function keyArg(key: bigint): Int64Digits;
export function keyArg(key: bigint | null): Int64Digits | null;
export function keyArg(key: bigint | null): Int64Digits | null {
  return key === null ? null : (`${key}` as const);
}
