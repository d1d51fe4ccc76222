import { startExport } from '../../lib/exports/start-export';
import { demoKeyBound } from '../lib/export-run';
import { num, perSecond, seconds, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import { startBenchStack, type BenchStack } from '../lib/stack';

/**
 * Scenario 4b — 16 lanes through a hosted-sized REST pool. Two 8-lane exports at once (the global cap is
 * 16 running lanes) with a 1.5 s time budget, so every lane hands off about every second and its heirs
 * wait for batons all the time, through the devstack's PostgREST pool of 10 connections (the CLI's local
 * stack; hosted pools follow the compute size) and, for comparison, through one of 40 on a second devstack
 * in the same run. A waiting heir polls with one short statement instead of holding a connection for its
 * whole wait: 16 lanes should go about as fast through 10 connections as through 40.
 */
const LANES_PER_JOB = 8;
const TIME_BUDGET_MS = 1_500;
const LARGE_POOL = 40;

type PoolRun = { pool: number; rows: number; wallMs: number; statuses: string[]; handoffs: number };

async function sixteenLanes(stack: BenchStack, records: number, pool: number, log: (m: string) => void) {
  await stack.db.query('update private.export_settings set max_running_lanes = 16, max_running_lanes_per_org = 16');
  const previous = process.env.BATON_WORKER_TIME_BUDGET_MS;
  // The devstack hands BATON_* of its environment to every function process it starts.
  process.env.BATON_WORKER_TIME_BUDGET_MS = String(TIME_BUDGET_MS);
  try {
    log(`pool ${pool}: two ${LANES_PER_JOB}-lane exports of ${num(records)} records at once …`);
    const deps = {
      user: { supabase: stack.user.client, userId: stack.user.userId },
      admin: stack.admin,
      typesense: stack.appTypesense,
    };
    const started = Date.now();
    const jobs = await Promise.all(
      [0, 1].map(() =>
        startExport(deps, {
          sourceId: stack.user.sourceId,
          format: 'csv',
          filter: `hs_object_id:<${demoKeyBound(records)}`,
          lanes: LANES_PER_JOB,
        }),
      ),
    );
    const ids = jobs.map((job) => job.id);
    for (;;) {
      const { rows } = await stack.db.query<{ status: string }>(
        'select status from public.export_jobs where id = any($1)',
        [ids],
      );
      if (rows.every((r) => ['completed', 'failed', 'cancelled'].includes(r.status))) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { rows } = await stack.db.query<{ status: string; rows: string; handoffs: number; wall_ms: number }>(
      `select status, rows_written::text as rows, extract(epoch from finished_at - created_at) * 1000 as wall_ms,
              (select count(*)::int from public.export_invocations i where i.job_id = j.id and i.end_reason = 'handoff') as handoffs
       from public.export_jobs j where id = any($1)`,
      [ids],
    );
    const run: PoolRun = {
      pool,
      rows: rows.reduce((sum, r) => sum + Number(r.rows), 0),
      wallMs: Date.now() - started,
      statuses: rows.map((r) => r.status),
      handoffs: rows.reduce((sum, r) => sum + r.handoffs, 0),
    };
    log(`pool ${pool}: ${run.statuses.join(', ')} in ${(run.wallMs / 1000).toFixed(1)} s, ${run.handoffs} hand-offs`);
    return run;
  } finally {
    if (previous === undefined) delete process.env.BATON_WORKER_TIME_BUDGET_MS;
    else process.env.BATON_WORKER_TIME_BUDGET_MS = previous;
  }
}

export const pool: Scenario = {
  name: 'pool',
  title: '4b. Sixteen lanes through a REST pool of 10',
  recordsNeeded: (options) => options.records / 2,
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    const records = Math.round(options.records / 2 / 1000) * 1000;
    const small = await sixteenLanes(stack, records, 10, ctx.log);
    ctx.log(`pool: a second devstack with a REST pool of ${LARGE_POOL} …`);
    const large = await startBenchStack({
      blogPosts: stack.blogPosts,
      functionHeapMb: stack.functionHeapMb,
      functionCpuLimitMs: stack.functionCpuLimitMs,
      restPoolSize: LARGE_POOL,
    });
    let big: PoolRun;
    try {
      big = await sixteenLanes(large, records, LARGE_POOL, ctx.log);
    } finally {
      await large.stop();
    }
    const rate = (r: PoolRun) => r.rows / (r.wallMs / 1000);
    const rows: Table['rows'] = [small, big].map((r) => [
      num(r.pool),
      r.statuses.join(', '),
      seconds(r.wallMs),
      perSecond(r.rows, r.wallMs),
      num(r.handoffs),
    ]);
    return {
      figures: { pool10_16_lanes_vs_pool40: rate(small) / rate(big) },
      tables: [
        {
          title: `${pool.title} (two ${LANES_PER_JOB}-lane exports of ${num(records)} demo blog posts at once, ${TIME_BUDGET_MS / 1000} s time budget)`,
          columns: ['REST pool', 'outcome', 'time', 'records/s', 'hand-offs'],
          rows,
          notes: [
            `pool10_16_lanes_vs_pool40: records/s through 10 connections ÷ through ${LARGE_POOL}, measured one after the other in this run.`,
            'A waiting heir looks at its lane with one short statement and waits between looks in the worker, so it never holds a connection for its wait.',
          ],
        },
      ],
      data: { records, runs: [small, big] },
    };
  },
};
