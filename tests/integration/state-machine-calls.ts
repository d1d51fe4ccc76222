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

/** A stand-in checksum: the shard's last key as 64 hex digits. */
export const sha = (n: number) => n.toString(16).padStart(64, '0');

/** One shard as the worker records it; unset fields take the defaults a test rarely needs to name. */
export type ShardArgs = {
  seq: number;
  after: number | null;
  last: number;
  rows?: number;
  sha?: string;
  rerunOf?: number;
  /** Plain bytes (default 1000, of which a 30-byte header). */
  bytes?: number;
  /** Stored as gzip: the object's size and its header member's. Default: stored plain. */
  gzip?: { bytes: number; headerBytes: number };
  /** Appended to the object key, for tests that write one place more than once in a generation. */
  keySuffix?: string;
};

/** The worker's call that records a shard, as SQL and its parameters. */
export function recordStatement(l: Lease, shard: ShardArgs, options: { pass?: boolean } = {}): [string, unknown[]] {
  return [
    `select public.record_export_shard($1::uuid, $2::int, $3::uuid, $4::bigint, $5::int, $6::int, $7::bigint, $8::bigint,
       $9::int, $10::bigint, $11::int, $12::text, $13::text, $14::int, $15::int, $16::boolean,
       $17::text, $18::bigint, $19::int, $20::text) as result`,
    [
      ...leaseArgs(l),
      shard.rerunOf ?? null,
      shard.seq,
      shard.after,
      shard.last,
      shard.rows ?? 250,
      shard.bytes ?? 1000,
      30,
      shard.sha ?? sha(shard.last),
      `k/${l.lane}/${shard.seq}.g${l.generation}${shard.keySuffix ?? ''}`,
      5,
      0,
      options.pass ?? false,
      shard.gzip ? 'gzip' : 'identity',
      shard.gzip?.bytes ?? null,
      shard.gzip?.headerBytes ?? null,
      shard.gzip ? sha(shard.gzip.bytes) : null,
    ],
  ];
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
