import type pg from 'pg';
import { expect } from 'vitest';
import { serviceRunner } from './as-service';

/**
 * The export state machine's functions called as the worker and the API routes call them (the service
 * role, through `serviceRunner`), shared by the integration tests that drive it straight in Postgres.
 */
export type Json = Record<string, unknown>;

/** What a claimed lane hands the worker: the fencing it passes to every later call. */
export type Lease = { job: string; lane: number; invocation: string; generation: number };

/** A lease as the leading arguments of `record_export_shard`, `heartbeat_export_lane` and the rest. */
export const leaseArgs = (l: Lease) => [l.job, l.lane, l.invocation, l.generation];

/** The lease in `claim_export_lane`'s answer, which must be a claim. */
export function leaseOf(jobId: string, claimed: Json): Lease {
  expect(claimed).toMatchObject({ claimed: true });
  const lane = (claimed.lane as { lane_no: number }).lane_no;
  return { job: jobId, lane, invocation: claimed.invocation_id as string, generation: claimed.generation as number };
}

export function stateMachineCalls(db: pg.Pool) {
  const asService = serviceRunner(db);

  /** `select fn(args…)` as jsonb; `actor` is who caused it (the `x-baton-actor` header). */
  async function rpc(fn: string, args: unknown[], actor: string | null = null): Promise<Json> {
    const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await asService<{ result: Json }>(`select to_jsonb(${fn}(${placeholders})) as result`, args, actor);
    return rows[0]!.result;
  }

  /** Claims lane `lane` of the job for 60 s (no budget) and returns its lease. */
  async function claimLane(jobId: string, lane: number): Promise<Lease> {
    return leaseOf(jobId, await rpc('public.claim_export_lane', [jobId, lane, 60, null]));
  }

  return { asService, rpc, claimLane };
}
