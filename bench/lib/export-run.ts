import { createHash } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { gunzipSync } from 'node:zlib';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { demoObjectId } from '../../devstack/seed/demo-data';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import { busyShare, readMachineCpu, sampleWorkerProcesses, type WorkerProcess } from './proc';
import { functionUsage, setLatency, usageSince, type BenchStack } from './stack';
import { parseTimestamp } from './timestamps';
import type { FunctionUsage } from '../../devstack/functions/handler';

/**
 * One real export of the demo `blog_posts` through the whole chain — startExport (the API's domain
 * function), the export-worker Edge Function in Deno with its hand-offs, storage, the manifest — with
 * everything the scenarios read afterwards: the invocation timeline, the manifest's timestamps, the
 * worker processes' RSS and CPU from /proc, and the job-row updates a subscribed client received.
 * Several scenarios read the same run (memory, throughput, hand-offs, realtime), so runs are memoised.
 */

export type ExportRunSpec = {
  records: number;
  /** Injected into Typesense and Storage for the whole run (models remote services). */
  latencyMs: number;
  /** BATON_WORKER_TIME_BUDGET_MS for every invocation of the job; undefined: the worker's default (45 s). */
  timeBudgetMs?: number;
  /** Lanes of the job; undefined: the API's default from the estimate (one per ~25,000 records, at most 8). */
  lanes?: number;
  /** BATON_EDGE_CPU_LIMIT_MS for the worker (its CPU budget follows); undefined: the hosted 2 s. */
  cpuLimitMs?: number;
  /** Called once the job exists (e.g. to kill its workers at chosen moments); the run waits for it. */
  during?: (jobId: string) => Promise<void>;
};

type InvocationRow = {
  id: string;
  lane_no: number | null;
  started_ms: number;
  ended_ms: number | null;
  end_reason: string | null;
  cpu_ms: number | null;
  wall_ms: number | null;
  peak_heap_bytes: number | null;
  shards_written: number;
  rows_written: number;
};

type ShardRow = {
  shard_no: number;
  lane: number;
  lane_seq: number;
  invocation_id: string;
  written_ms: number;
  duration_ms: number;
  bytes: number;
  rows: number;
};

/** A job row (or its progress) as a subscribed supabase-js client received it. */
type RealtimeReceipt = { updatedMs: number; receivedMs: number; shardsWritten: number; status: string };

/** An unfinished job's progress in an exports-list message. */
type ListProgress = Pick<ExportJob, 'id' | 'updated_at' | 'shards_written' | 'status'>;

/** Each version of the row once: the list repeats an unchanged job's progress until it changes. */
function dedupe(receipts: RealtimeReceipt[]): RealtimeReceipt[] {
  const seen = new Set<number>();
  return receipts.filter((r) => !seen.has(r.updatedMs) && seen.add(r.updatedMs));
}

function subscribed(channel: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) =>
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    }),
  );
}

export type ExportRun = {
  spec: ExportRunSpec;
  jobId: string;
  status: string;
  /** Job created → finished, from the database's own clock. */
  wallMs: number;
  rows: number;
  bytes: number;
  /** Size of the .gz download (null: no compressed form). */
  gzipBytes: number | null;
  shards: ShardRow[];
  invocations: InvocationRow[];
  processes: WorkerProcess[];
  /** Row updates on the job's own topic (its page), each as received. */
  realtime: RealtimeReceipt[];
  /** The job's progress as the exports list received it, each version once. */
  list: RealtimeReceipt[];
  /** Times the bench had to run the sweep because the job stalled (should be 0: hand-offs are direct). */
  sweepRescues: number;
  filter: string | null;
  laneCount: number;
  /** Share of the machine's CPU (every core, every process) busy during the run: near 1, it was CPU-bound. */
  machineCpuBusy: number;
  /** The download's bytes (manifest order, CSV header once) hashed: compared across runs of one size. */
  sha256: string;
  /**
   * The worker's processes during the run as the devstack metered them from outside: how many ended, their
   * main-thread CPU (what the platform's CPU limit counts) and how many each limit stopped.
   */
  functionUsage: FunctionUsage;
  /** Deadlocks Postgres detected during the run (pg_stat_database; the state machine keeps one lock order). */
  deadlocks: number;
  /**
   * Objects under the job's lane folders that no manifest row names, once the job's storage clean-up has
   * run (what a failed record, a cancel or a kill can leave behind; the target is 0).
   */
  orphanObjects: number;
};

/**
 * The `hs_object_id` below which exactly `records` demo posts lie. Demo keys are idBase + 7·j + 3 for
 * j < count (shuffled within blocks of 1,000; see demoObjectId), so for whole thousands this is exact;
 * startExport's estimate (`found`) confirms it.
 */
export function demoKeyBound(records: number): number {
  return demoObjectId('blog_posts', 0) + 7 * records;
}

function filterFor(stack: BenchStack, records: number): string | null {
  if (records > stack.blogPosts) throw new Error(`${records} records asked for, ${stack.blogPosts} seeded`);
  return records === stack.blogPosts ? null : `hs_object_id:<${demoKeyBound(records)}`;
}

const runs = new Map<string, Promise<ExportRun>>();

export function runExport(stack: BenchStack, spec: ExportRunSpec, log: (message: string) => void): Promise<ExportRun> {
  const key = JSON.stringify([
    spec.records,
    spec.latencyMs,
    spec.timeBudgetMs ?? null,
    spec.lanes ?? null,
    spec.cpuLimitMs ?? null,
  ]);
  let run = spec.during ? undefined : runs.get(key);
  if (!run) {
    run = exportOnce(stack, spec, log);
    if (!spec.during) runs.set(key, run);
  }
  return run;
}

async function exportOnce(stack: BenchStack, spec: ExportRunSpec, log: (message: string) => void): Promise<ExportRun> {
  const label = `${spec.records.toLocaleString('en-US')} records, ${spec.lanes ?? 'default'} lane(s), ${spec.latencyMs} ms latency, budget ${spec.timeBudgetMs ?? 'default'}, CPU limit ${spec.cpuLimitMs ?? 'hosted'}`;
  log(`export: ${label} …`);
  const filter = filterFor(stack, spec.records);
  await setLatency(stack, spec.latencyMs);
  // The devstack hands BATON_* of its own environment to every function process it spawns, hand-offs too.
  const restoreEnv = setWorkerEnv({
    BATON_WORKER_TIME_BUDGET_MS: spec.timeBudgetMs,
    BATON_EDGE_CPU_LIMIT_MS: spec.cpuLimitMs,
  });

  // The exports list, joined before the job exists as a dashboard listing the organisation's jobs would
  // be: its messages carry every unfinished job's progress (at most one a second while only progress
  // moves); receipts of other jobs are ignored.
  const realtime: RealtimeReceipt[] = [];
  const list: RealtimeReceipt[] = [];
  let jobId: string | null = null;
  const early: Array<RealtimeReceipt & { id: string }> = [];
  // Private Broadcast topics, joined with the user's token (RLS on realtime.messages).
  await stack.user.client.realtime.setAuth();
  const listChannel = stack.user.client
    .channel(`org:${stack.user.organisationId}:exports`, { config: { private: true } })
    .on('broadcast', { event: '*' }, (message: { payload: { job?: ExportJob; jobs?: ListProgress[] } }) => {
      const receivedMs = Date.now();
      for (const row of [...(message.payload.job ? [message.payload.job] : []), ...(message.payload.jobs ?? [])]) {
        const receipt = {
          updatedMs: parseTimestamp(row.updated_at),
          receivedMs,
          shardsWritten: row.shards_written,
          status: row.status,
        };
        if (jobId === null) early.push({ ...receipt, id: row.id });
        else if (row.id === jobId) list.push(receipt);
      }
    });
  await subscribed(listChannel);
  let jobChannel: RealtimeChannel | null = null;
  const sampler = sampleWorkerProcesses('export-worker');
  const usageAtStart = await functionUsage(stack, 'export-worker');
  const deadlocksAtStart = await deadlockCount(stack);
  const cpuAtStart = await readMachineCpu();
  let sweepRescues = 0;
  try {
    const job = await startExport(
      {
        user: { supabase: stack.user.client, userId: stack.user.userId },
        admin: stack.admin,
        typesense: stack.appTypesense,
      },
      { sourceId: stack.user.sourceId, format: 'csv', filter, lanes: spec.lanes },
    );
    jobId = job.id;
    list.push(...early.filter((r) => r.id === job.id));
    // The job's page, opened once the export exists (as after the form's redirect): every row update. The
    // worker is still booting, so no progress is missed.
    jobChannel = stack.user.client
      .channel(`export:${job.id}`, { config: { private: true } })
      .on('broadcast', { event: 'UPDATE' }, (message: { payload: { record: ExportJob } }) => {
        const row = message.payload.record;
        realtime.push({
          updatedMs: parseTimestamp(row.updated_at),
          receivedMs: Date.now(),
          shardsWritten: row.shards_written,
          status: row.status,
        });
      });
    await subscribed(jobChannel);
    if (job.estimated_rows !== spec.records)
      throw new Error(`expected ${spec.records} records, the source has ${job.estimated_rows}`);
    const during = spec.during?.(job.id);

    let lastProgress = { shards: -1, at: Date.now() };
    for (;;) {
      const { rows } = await stack.db.query<{ status: string; shards: number }>(
        `select status, (select count(*)::int from public.export_shards where job_id = $1) as shards from public.export_jobs where id = $1`,
        [job.id],
      );
      const current = rows[0];
      if (!current) throw new Error(`job ${job.id} vanished`);
      if (['completed', 'failed', 'cancelled'].includes(current.status)) break;
      if (current.shards !== lastProgress.shards) lastProgress = { shards: current.shards, at: Date.now() };
      // A stalled chain (a hand-off lost) would wait for the lease to expire; run the sweep as pg_cron would.
      if (Date.now() - lastProgress.at > 90_000) {
        sweepRescues += 1;
        lastProgress.at = Date.now();
        const { data } = await stack.admin.rpc('sweep_export_jobs');
        for (const { job_id } of (data ?? []) as Array<{ job_id: string }>) {
          await stack.admin.functions.invoke('export-worker', { body: { jobId: job_id } });
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await during;
    const machineCpuBusy = busyShare(cpuAtStart, await readMachineCpu());
    // Let the last invocation's process exit and the final realtime messages arrive.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const processes = await sampler.stop();
    const usage = usageSince(usageAtStart, await functionUsage(stack, 'export-worker'));

    const result = await collect(stack, job.id);
    log(
      `export: ${label}: ${result.status} in ${(result.wallMs / 1000).toFixed(1)} s, ${result.invocations.length} invocations, ${processes.length} worker processes seen`,
    );
    return {
      spec,
      jobId: job.id,
      ...result,
      processes,
      realtime: dedupe(realtime),
      list: dedupe(list),
      sweepRescues,
      filter,
      laneCount: job.lane_count,
      machineCpuBusy,
      sha256: await downloadDigest(stack, job.id),
      functionUsage: usage,
      deadlocks: (await deadlockCount(stack)) - deadlocksAtStart,
      orphanObjects: await orphansAfterCleanup(stack, job.id, job.organisation_id, job.lane_count, log),
    };
  } finally {
    await sampler.stop();
    await stack.user.client.removeChannel(listChannel);
    if (jobChannel) await stack.user.client.removeChannel(jobChannel);
    restoreEnv();
    await setLatency(stack, 0);
  }
}

async function deadlockCount(stack: BenchStack): Promise<number> {
  const { rows } = await stack.db.query<{ deadlocks: string }>(
    'select deadlocks::text from pg_stat_database where datname = current_database()',
  );
  return Number(rows[0]?.deadlocks ?? 0);
}

/**
 * Waits for the job's storage clean-up (due once no lease can be alive; the devstack's sweep timer kicks
 * it), then counts the objects under its lane folders that no manifest row names. Listing is this
 * measurement's; the product only lists in that clean-up.
 */
async function orphansAfterCleanup(
  stack: BenchStack,
  jobId: string,
  organisationId: string,
  lanes: number,
  log: (message: string) => void,
): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { rows } = await stack.db.query<{ done: boolean }>(
      'select done_at is not null as done from private.export_storage_cleanups where job_id = $1',
      [jobId],
    );
    if (rows[0]?.done) break;
    if (Date.now() > deadline) {
      log(`export ${jobId}: storage clean-up not done after 2 min; counting orphans anyway`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const { rows } = await stack.db.query<{ storage_key: string }>(
    'select storage_key from public.export_shards where job_id = $1',
    [jobId],
  );
  const named = new Set(rows.map((r) => r.storage_key));
  let orphans = 0;
  for (let lane = 1; lane <= lanes; lane += 1) {
    const folder = `${organisationId}/${jobId}/lane-${lane}`;
    const { data, error } = await stack.admin.storage.from(EXPORTS_BUCKET).list(folder, { limit: 100_000 });
    if (error) throw new Error(`list ${folder}: ${error.message}`);
    orphans += data.filter((o) => !named.has(`${folder}/${o.name}`)).length;
  }
  return orphans;
}

/**
 * The devstack hands BATON_* of its own environment (this process) to every function process it spawns,
 * hand-offs too: a run's worker settings are set here and restored after it.
 */
function setWorkerEnv(values: Record<string, number | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = String(value);
  }
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** sha256 of the file the download would serve: the shards in manifest order, the CSV header once. */
async function downloadDigest(stack: BenchStack, jobId: string): Promise<string> {
  const { rows } = await stack.db.query<{ storage_key: string; header_bytes: number; encoding: string }>(
    `select storage_key, header_bytes, encoding from public.export_shards where job_id = $1 and status = 'written' order by lane, lane_seq`,
    [jobId],
  );
  const hash = createHash('sha256');
  const bucket = stack.admin.storage.from(EXPORTS_BUCKET);
  for (const [i, shard] of rows.entries()) {
    const { data, error } = await bucket.download(shard.storage_key);
    if (error) throw new Error(`download ${shard.storage_key}: ${error.message}`);
    const stored = new Uint8Array(await data.arrayBuffer());
    // Shards are stored as gzip members; the file is their plain bytes.
    const bytes = shard.encoding === 'gzip' ? new Uint8Array(gunzipSync(stored)) : stored;
    hash.update(i === 0 ? bytes : bytes.subarray(shard.header_bytes));
  }
  return hash.digest('hex');
}

async function collect(stack: BenchStack, jobId: string) {
  const job = await stack.db.query<{
    status: string;
    wall_ms: number;
    rows: string;
    bytes: string;
    gzip_bytes: string | null;
  }>(
    `select status, extract(epoch from finished_at - created_at) * 1000 as wall_ms, rows_written as rows, bytes_written as bytes,
            gzip_bytes_written as gzip_bytes
     from public.export_jobs where id = $1`,
    [jobId],
  );
  const invocations = await stack.db.query<InvocationRow>(
    `select id, lane_no, extract(epoch from started_at) * 1000 as started_ms, extract(epoch from ended_at) * 1000 as ended_ms,
            end_reason, cpu_ms, wall_ms, peak_heap_bytes::float8 as peak_heap_bytes, shards_written, rows_written::int as rows_written
     from public.export_invocations where job_id = $1 order by started_at`,
    [jobId],
  );
  const shards = await stack.db.query<ShardRow>(
    `select shard_no, lane, lane_seq, invocation_id, extract(epoch from written_at) * 1000 as written_ms, duration_ms,
            bytes::int as bytes, rows
     from public.export_shards where job_id = $1 order by lane, lane_seq`,
    [jobId],
  );
  const row = job.rows[0];
  if (!row) throw new Error(`job ${jobId} vanished`);
  // node-pg returns numeric (extract …) as strings: make every timing a number once, here.
  return {
    status: row.status,
    wallMs: Number(row.wall_ms),
    rows: Number(row.rows),
    bytes: Number(row.bytes),
    /** Size of the .gz download (null: no compressed form). */
    gzipBytes: row.gzip_bytes === null ? null : Number(row.gzip_bytes),
    invocations: invocations.rows.map((i) => ({
      ...i,
      started_ms: Number(i.started_ms),
      ended_ms: i.ended_ms === null ? null : Number(i.ended_ms),
    })),
    shards: shards.rows.map((s) => ({ ...s, written_ms: Number(s.written_ms) })),
  };
}
