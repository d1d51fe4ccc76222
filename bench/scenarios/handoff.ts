import { runExport, type ExportRun } from '../lib/export-run';
import { ms, num, seconds, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import { median, p95, sum } from '../lib/stats';

/**
 * Scenario 3 — what a baton pass costs. For each hand-off: the gap between the last shard one invocation
 * recorded and the first shard the next one recorded (manifest `written_at`), split into the outgoing
 * invocation's wrap-up (last shard → ended), the platform's start of a fresh copy (ended → next started:
 * HTTP call, Deno process, imports) and the incoming one's ramp (started → first shard: claim + one page).
 */

const SHORT_BUDGET_MS = 1500;
/** The worker's default CPU budget: 80 % of the hosted 2 s CPU limit (BATON_EDGE_CPU_LIMIT_MS). */
const CPU_BUDGET_MS = 1600;

/**
 * Hand-offs within each lane: consecutive working invocations of one lane, in the order they started.
 * Warm: the next copy started before this one ended (it booted while the last pages were written and
 * took the lease when it was passed).
 */
function handoffGaps(run: ExportRun) {
  const byInvocation = new Map<string, number[]>();
  for (const shard of run.shards) {
    const list = byInvocation.get(shard.invocation_id) ?? [];
    list.push(shard.written_ms);
    byInvocation.set(shard.invocation_id, list);
  }
  const gaps: number[] = [];
  const wrapUp: number[] = [];
  const restart: number[] = [];
  const ramp: number[] = [];
  let warm = 0;
  const laneNos = [...new Set(run.invocations.map((i) => i.lane_no))];
  for (const laneNo of laneNos) {
    const working = run.invocations.filter((i) => i.lane_no === laneNo && byInvocation.has(i.id));
    for (let k = 0; k + 1 < working.length; k += 1) {
      const out = working[k];
      const next = working[k + 1];
      if (!out || !next || out.end_reason !== 'handoff' || out.ended_ms === null) continue;
      const last = Math.max(...(byInvocation.get(out.id) ?? []));
      const first = Math.min(...(byInvocation.get(next.id) ?? []));
      gaps.push(first - last);
      wrapUp.push(out.ended_ms - last);
      restart.push(next.started_ms - out.ended_ms);
      ramp.push(first - Math.max(next.started_ms, last));
      if (next.started_ms < out.ended_ms) warm += 1;
    }
  }
  // A normal page's interval within one invocation: the gap includes the next copy's first page, so
  // this is what a hand-off costs at the least.
  const intervals: number[] = [];
  for (const times of byInvocation.values()) {
    const sorted = [...times].sort((a, b) => a - b);
    for (let k = 1; k < sorted.length; k += 1) intervals.push(sorted[k]! - sorted[k - 1]!);
  }
  const handoffs = run.invocations.filter((i) => i.end_reason === 'handoff');
  // Which budget ended each invocation: the one it reached (CPU is checked with wall time before each page).
  const byCpu = handoffs.filter((i) => (i.cpu_ms ?? 0) >= CPU_BUDGET_MS * 0.9).length;
  return {
    gaps,
    wrapUp,
    restart,
    ramp,
    warm,
    intervals,
    handoffs: handoffs.length,
    byCpu,
    byWall: handoffs.length - byCpu,
  };
}

export const handoff: Scenario = {
  name: 'handoff',
  title: '3. Hand-off overhead',
  recordsNeeded: (options) => Math.max(options.records, options.shortBudgetRecords),
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    const rows: Table['rows'] = [];
    const data = [];
    for (const latencyMs of options.latencies) {
      for (const budget of [undefined, SHORT_BUDGET_MS]) {
        const records = budget === undefined ? options.records : options.shortBudgetRecords;
        const run = await runExport(stack, { records, latencyMs, timeBudgetMs: budget, lanes: 1 }, ctx.log);
        const h = handoffGaps(run);
        const lost = sum(h.gaps);
        rows.push([
          latencyMs === 0 ? 'as is' : `+${latencyMs} ms/request`,
          budget === undefined ? '45 s (default)' : `${budget / 1000} s`,
          num(run.rows),
          num(h.handoffs),
          `${h.byCpu} CPU / ${h.byWall} wall`,
          num((h.handoffs / run.rows) * 100_000),
          `${num(h.gaps.length === 0 ? 0 : (h.warm / h.gaps.length) * 100, 0)}%`,
          `${ms(median(h.gaps))} / ${ms(p95(h.gaps))}`,
          ms(median(h.intervals)),
          `${ms(median(h.wrapUp))} / ${ms(median(h.restart))} / ${ms(median(h.ramp))}`,
          `${seconds(lost)} (${num((lost / run.wallMs) * 100, 0)}%)`,
        ]);
        data.push({
          latencyMs,
          timeBudgetMs: budget ?? 45_000,
          records: run.rows,
          wallMs: run.wallMs,
          handoffs: h.handoffs,
          endedByCpuBudget: h.byCpu,
          endedByWallBudget: h.byWall,
          handoffsPer100k: (h.handoffs / run.rows) * 100_000,
          warmShare: h.gaps.length === 0 ? 0 : h.warm / h.gaps.length,
          gapMs: { median: median(h.gaps), p95: p95(h.gaps), n: h.gaps.length },
          shardIntervalMs: { median: median(h.intervals), p95: p95(h.intervals) },
          wrapUpMs: { median: median(h.wrapUp), p95: p95(h.wrapUp) },
          restartMs: { median: median(h.restart), p95: p95(h.restart) },
          rampMs: { median: median(h.ramp), p95: p95(h.ramp) },
          lostMs: lost,
          sweepRescues: run.sweepRescues,
        });
      }
    }
    const headline = data.find((d) => d.latencyMs === 0 && d.timeBudgetMs === 45_000);
    return {
      figures: { handoff_gap_median_ms: headline?.gapMs.median ?? Number.NaN },
      tables: [
        {
          title: handoff.title,
          columns: [
            'latency',
            'time budget',
            'records',
            'hand-offs',
            'ended by',
            'per 100k',
            'warm',
            'gap median / p95',
            'page interval',
            'wrap-up / restart / ramp (median)',
            'time in gaps',
          ],
          rows,
          notes: [
            'One lane. gap: last shard of one invocation → first shard of the next (export_shards.written_at).',
            "page interval: median time between two shards of one invocation. The gap contains the next copy's first page, so it is at least about this.",
            'warm: the next copy had started (booted, registered as heir) before this one ended, and took the lease passed with its last shard.',
            'wrap-up: last shard → invocation ended; restart: ended → next started (negative: it started early);',
            '  ramp: the later of (next started, last shard) → its first shard (baton received, one page fetched, encoded, uploaded, recorded).',
            `The worker also hands off after ${CPU_BUDGET_MS} ms of isolate CPU (80 % of BATON_EDGE_CPU_LIMIT_MS): with the 45 s wall budget that is what ends invocations.`,
            `1.5 s-budget runs export ${num(options.shortBudgetRecords)} records (time in the default set); per 100k is scaled.`,
          ],
        },
      ],
      data,
    };
  },
};
