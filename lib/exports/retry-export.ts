import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { rpcError } from '@/lib/api/rpc-error';
import { getOperableExportOrThrow } from './get-operable-export-or-throw';
import { kickExportLanes } from './kick-export-worker';
import { listShards } from './list-shards';
import type { ExportJob, ExportShard } from './types';
import { verifyShards, type ShardCheck, type ShardStorage } from './verify-shards';

export const retryExportInput = z
  .object({
    /** Shards support wants re-run whatever verification says. */
    shardNos: z.array(z.number().int().min(1)).max(100_000).default([]),
    /**
     * How hard to look for damaged shards: the object sizes storage's backend holds (one byte read each),
     * full checksums, or not at all.
     */
    verify: z.enum(['none', 'size', 'checksum']).default('size'),
    /** Only say what would be re-run (the confirm dialog's preview). */
    dryRun: z.boolean().default(false),
  })
  .strict();

export type RetryPlan = {
  shards: Array<{ shardNo: number; rows: number; reason: string }>;
  /** Rows in the shards above (they will be written again). */
  rows: number;
  /** Whether the never-written tail of the key range will be exported too. */
  tail: boolean;
  /** Estimate of the tail's rows: the job's estimate minus what is written. */
  tailRowsEstimate: number;
  /** Where each lane with an unwritten tail resumes, in lane order (empty without a tail). */
  tailLanes: TailLane[];
};

/**
 * A lane's unwritten tail: it resumes at its shard `fromLaneShard` (a place in the lane; the job-wide
 * number is given when the shard is recorded) with its record `fromRecord`, and is expected to end at
 * `toLaneShard` and `toRecord` by the lane's estimate (never before where it resumes).
 */
export type TailLane = {
  lane: number;
  fromLaneShard: number;
  toLaneShard: number;
  fromRecord: number;
  toRecord: number;
};

/** The lanes whose key range is not exhausted yet, where each resumes. */
async function tailLanes(client: TypedSupabaseClient, jobId: string, pageSize: number): Promise<TailLane[]> {
  const { data, error } = await client
    .from('export_lanes')
    .select('lane_no, next_seq, rows_written, estimated_rows')
    .eq('job_id', jobId)
    .eq('tail_complete', false)
    .order('lane_no');
  if (error) throw rpcError(error, `Reading the lanes of export ${jobId}`);
  return data.map((l) => ({
    lane: l.lane_no,
    fromLaneShard: l.next_seq,
    toLaneShard: Math.max(l.next_seq, Math.ceil(l.estimated_rows / pageSize)),
    fromRecord: l.rows_written + 1,
    toRecord: Math.max(l.rows_written + 1, l.estimated_rows),
  }));
}

/** A storage verification's finding, in words (null: the object checks out). */
function reasonFor(check: ShardCheck): string | null {
  switch (check.state) {
    case 'ok':
      return null;
    case 'missing':
      return 'object missing from storage';
    case 'size_mismatch':
      return `object is ${check.actualBytes} bytes, manifest says ${check.expectedBytes}`;
    case 'checksum_mismatch':
      return 'object checksum does not match the manifest';
  }
}

const KIND_WORDS: Record<NonNullable<ExportShard['problem_kind']>, string> = {
  missing: 'object missing',
  size_mismatch: 'size mismatch',
  checksum_mismatch: 'checksum mismatch',
};

/**
 * What the manifest already records against a written shard: a download that found its object missing or
 * damaged ("checksum mismatch found by a download"). A same-size corruption passes the size check, so this
 * record is what puts such a shard in the plan.
 */
function recordedReason(shard: Pick<ExportShard, 'problem' | 'problem_kind' | 'problem_source'>): string | null {
  if (shard.problem_kind) {
    const by = shard.problem_source === 'download' ? 'a download' : (shard.problem_source ?? 'a check');
    return `${KIND_WORDS[shard.problem_kind]} found by ${by}`;
  }
  return shard.problem;
}

/**
 * "Retry missing": re-run the shards that storage verification finds missing or damaged, the shards the
 * caller names, and the unwritten tail — nothing else. Each re-run reads exactly its shard's key range,
 * so the final file is byte-identical to a single-pass export.
 */
export async function retryExport(
  deps: { user: { supabase: TypedSupabaseClient } } & ShardStorage,
  jobId: string,
  rawInput: z.input<typeof retryExportInput>,
): Promise<{ plan: RetryPlan; job: ExportJob }> {
  const input = retryExportInput.parse(rawInput);
  // Verifying and re-running are an operator's, not a viewer's: refused before the state is looked at
  // and before storage is read.
  const job = await getOperableExportOrThrow(deps.user.supabase, jobId);
  const plan = await planRetry({ reader: deps.user.supabase, ...deps }, job, input);
  if (input.dryRun) return { plan, job };

  // As the user: the database checks their role again before it queues the re-run. One reason per shard:
  // each shard's attempt history keeps why *it* was re-run.
  const { data, error } = await deps.user.supabase
    .rpc('rerun_export', {
      p_job_id: jobId,
      p_shard_nos: plan.shards.map((s) => s.shardNo),
      p_reasons: plan.shards.map((s) => s.reason),
    })
    .single<ExportJob>();
  if (error) throw rpcError(error, `Queuing the re-run of export ${jobId}`);
  await kickRerunLanes(deps.admin, data);
  return { plan, job: data };
}

/** Starts a worker for every lane the re-run queued. */
export async function kickRerunLanes(admin: TypedSupabaseClient, job: ExportJob): Promise<void> {
  await kickExportLanes(
    admin,
    job.id,
    job.lanes.filter((lane) => lane.status === 'queued').map((lane) => lane.lane),
  );
}

/**
 * What "Retry missing" would re-run for a job the caller may change, read through `reader` (the user's
 * RLS client, or the service client after the API checked the job's organisation). Refuses a job that is
 * still running, and a plan with nothing in it.
 */
export async function planRetry(
  deps: { reader: TypedSupabaseClient } & ShardStorage,
  job: ExportJob,
  input: Pick<z.output<typeof retryExportInput>, 'shardNos' | 'verify'>,
): Promise<RetryPlan> {
  const jobId = job.id;
  if (job.status === 'queued' || job.status === 'running' || job.status === 'retrying') {
    throw new AppError('conflict', `This export is still ${job.status}. Cancel it or wait for it to end, then retry.`);
  }

  const { shards } = await listShards(deps.reader, jobId);
  const byNo = new Map(shards.map((s) => [s.shard_no, s]));
  const unknown = input.shardNos.filter((n) => !byNo.has(n));
  if (unknown.length > 0) {
    throw new AppError(
      'unprocessable',
      `Shard${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 10).join(', ')} not in this export.`,
      {
        field: 'shardNos',
      },
    );
  }

  // Precedence, last wins: what the manifest records, then what storage shows now, then support's ask
  // (a shard support names for no other reason).
  const reasons = new Map<number, string>();
  for (const shard of shards) {
    if (shard.status === 'rerun_requested') reasons.set(shard.shard_no, shard.problem ?? 'queued for a re-run');
    else if (shard.status === 'written') {
      const recorded = recordedReason(shard);
      if (recorded) reasons.set(shard.shard_no, recorded);
    }
  }
  if (input.verify !== 'none') {
    for (const check of await verifyShards(deps, shards, { checksums: input.verify === 'checksum' })) {
      const reason = reasonFor(check);
      if (reason) reasons.set(check.shardNo, reason);
    }
  }
  for (const n of input.shardNos) if (!reasons.has(n)) reasons.set(n, 'requested by support');

  const planned = [...reasons.entries()].sort(([a], [b]) => a - b);
  const plan: RetryPlan = {
    shards: planned.map(([shardNo, reason]) => ({ shardNo, rows: byNo.get(shardNo)!.rows, reason })),
    rows: planned.reduce((sum, [n]) => sum + byNo.get(n)!.rows, 0),
    tail: !job.tail_complete,
    tailRowsEstimate: job.tail_complete ? 0 : Math.max(0, job.estimated_rows - job.rows_written),
    tailLanes: job.tail_complete ? [] : await tailLanes(deps.reader, jobId, job.page_size),
  };
  if (plan.shards.length === 0 && !plan.tail) {
    throw new AppError(
      'unprocessable',
      `Nothing to re-run: all ${shards.length} shards check out and the export is complete.`,
    );
  }
  return plan;
}
