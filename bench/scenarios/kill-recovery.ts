import { runExport } from '../lib/export-run';
import { ms, num, seconds, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import type { BenchStack } from '../lib/stack';
import { median, p95 } from '../lib/stats';

/**
 * Scenario 5 — what a hard kill costs at default settings: every worker process of an export is
 * SIGKILLed (no beforeunload, no hand-off), several times; for each lane, the time from the kill to its
 * next recorded shard. The lease (8 s, renewed by every shard) runs out, the sweep (every 10 s, as
 * pg_cron hosted) reaps the lane, and a new invocation takes over: at most a lease plus a sweep interval
 * plus a boot. Also: where the timeline says the killed invocations ended (their last heartbeat).
 */

type Kill = { atMs: number; recoveryMs: number[]; timelineLagMs: number[] };

async function killAllWorkers(stack: BenchStack): Promise<number> {
  const res = await fetch(`${stack.apiUrl}/_devstack/functions/kill`, {
    method: 'POST',
    body: JSON.stringify({ name: 'export-worker' }),
  });
  return ((await res.json()) as { killed: number }).killed;
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** Per lane: the first shard written after `sinceMs`, or null while none (or the lane has finished). */
async function firstShardsAfter(stack: BenchStack, jobId: string, sinceMs: number) {
  const { rows } = await stack.db.query<{ lane_no: number; status: string; first_ms: number | null }>(
    `select l.lane_no, l.status,
            (select extract(epoch from min(s.written_at)) * 1000 from public.export_shards s
             where s.job_id = l.job_id and s.lane = l.lane_no and s.written_at > to_timestamp($2 / 1000.0))::float8 as first_ms
     from public.export_lanes l where l.job_id = $1`,
    [jobId, sinceMs],
  );
  return rows;
}

export const killRecovery: Scenario = {
  name: 'kill-recovery',
  title: '5. Kill recovery',
  recordsNeeded: (options) => options.records,
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    const kills: Kill[] = [];
    const run = await runExport(
      stack,
      {
        records: options.records,
        latencyMs: 0,
        during: async (jobId) => {
          for (let k = 0; k < options.kills; k += 1) {
            // Let every lane get going again first (a few shards), then a moment more.
            const since = Date.now();
            for (;;) {
              const lanes = await firstShardsAfter(stack, jobId, since);
              if (lanes.every((l) => l.first_ms !== null || l.status === 'completed')) break;
              await sleep(200);
            }
            await sleep(1500 + Math.random() * 2500);
            const { rows } = await stack.db.query<{ running: number }>(
              `select count(*)::int as running from public.export_lanes where job_id = $1 and status <> 'completed'`,
              [jobId],
            );
            if (rows[0]!.running === 0) break;
            const atMs = Date.now();
            const killed = await killAllWorkers(stack);
            ctx.log(`kill ${k + 1}: ${killed} worker process(es)`);
            const deadline = atMs + 120_000;
            let lanes = await firstShardsAfter(stack, jobId, atMs);
            while (lanes.some((l) => l.first_ms === null && l.status !== 'completed') && Date.now() < deadline) {
              await sleep(100);
              lanes = await firstShardsAfter(stack, jobId, atMs);
            }
            const { rows: killedRows } = await stack.db.query<{ ended_ms: number }>(
              `select extract(epoch from ended_at) * 1000 as ended_ms from public.export_invocations
               where job_id = $1 and end_reason = 'killed' and ended_at > to_timestamp($2 / 1000.0) - interval '30 seconds'`,
              [jobId, atMs],
            );
            kills.push({
              atMs,
              recoveryMs: lanes.filter((l) => l.first_ms !== null).map((l) => Number(l.first_ms) - atMs),
              timelineLagMs: killedRows.map((r) => atMs - Number(r.ended_ms)),
            });
          }
        },
      },
      ctx.log,
    );
    const recoveries = kills.flatMap((k) => k.recoveryMs);
    const lags = kills.flatMap((k) => k.timelineLagMs);
    const rows: Table['rows'] = kills.map((k, i) => [
      num(i + 1),
      num(k.recoveryMs.length),
      seconds(median(k.recoveryMs)),
      seconds(Math.max(...k.recoveryMs)),
      ms(median(k.timelineLagMs)),
    ]);
    rows.push([
      'all',
      num(recoveries.length),
      seconds(median(recoveries)),
      `p95 ${seconds(p95(recoveries))}`,
      ms(median(lags)),
    ]);
    return {
      figures: {
        kill_recovery_p95_s: p95(recoveries) / 1000,
        kill_recovery_deadlocks: run.deadlocks,
        kill_recovery_orphan_objects: run.orphanObjects,
      },
      tables: [
        {
          title: `${killRecovery.title} (${num(options.records)} records, ${run.laneCount} lanes, default lease ${8} s, sweep every ${stack.sweepIntervalMs / 1000} s; ${run.status}, file ${run.rows === options.records ? 'complete' : 'INCOMPLETE'}; ${num(run.deadlocks)} deadlocks, ${num(run.orphanObjects)} orphan objects after the clean-up)`,
          columns: ['kill', 'lanes recovered', 'kill → next shard, median', 'max', 'kill − timeline end (median)'],
          rows,
          notes: [
            'Every export-worker process SIGKILLed at once (devstack /_devstack/functions/kill): no beforeunload, no hand-off.',
            "kill → next shard: per lane, the kill to that lane's next shard in the manifest (lease runs out, sweep reaps, new invocation boots, claims, writes).",
            'kill − timeline end: how long before the kill the timeline says the killed invocation ended (its last heartbeat: within about a page).',
          ],
        },
      ],
      data: { kills, recoveries, lags, status: run.status, rows: run.rows, sha256: run.sha256 },
    };
  },
};
