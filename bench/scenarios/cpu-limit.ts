import { CPU_ESTIMATE } from '../../supabase/functions/_shared/cpu-meter.ts';
import { referenceSha256 } from '../lib/reference';
import { runExport, type ExportRun } from '../lib/export-run';
import { num, perSecond, seconds, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';

/**
 * Scenarios 6a and 6b — the worker on the hosted-level runtime (Deno 2.1.4, no CPU clock: it budgets on
 * its estimate, supabase/functions/_shared/cpu-meter.ts) with the platform's CPU limit enforced from
 * outside: 2 s a request (Supabase's limits page) and 200 ms (a figure Supabase's own notes quote). The
 * worker is told the limit (BATON_EDGE_CPU_LIMIT_MS; it hands off at 80 % of it). The export must be
 * byte-identical, isolates stopped at the limit must stay rare, and the calls between workers must stay
 * inside the platform's ~5,000 a minute.
 */
function cpuLimitScenario(limitMs: number, name: string, title: string, figurePrefix: string): Scenario {
  return {
    name,
    title,
    recordsNeeded: (options) => options.records,
    functionCpuLimitMs: limitMs,
    run: async (ctx: BenchContext) => {
      const { stack, options } = ctx;
      const rows: Table['rows'] = [];
      const data: Array<
        ReturnType<typeof measure> & {
          lanes: number;
          status: string;
          wallMs: number;
          recordsPerSecond: number;
          functionUsage: ExportRun['functionUsage'];
          identical: boolean;
          invocations: Array<{
            lane: number | null;
            rows: number;
            cpuMs: number | null;
            wallMs: number | null;
            end: string | null;
          }>;
        }
      > = [];
      for (const laneCount of [1, 8]) {
        const run = await runExport(
          stack,
          { records: options.records, latencyMs: 0, lanes: laneCount, cpuLimitMs: limitMs },
          ctx.log,
        );
        const reference = await referenceSha256(stack, run.filter);
        const measured = measure(run);
        rows.push([
          num(run.laneCount),
          run.status,
          seconds(run.wallMs),
          perSecond(run.rows, run.wallMs),
          num(measured.leaseHolders),
          num(measured.recordsPerInvocation),
          `${num(measured.stoppedAtLimit)} (${measured.killedPer100.toFixed(1)} per 100)`,
          measured.estimateVsMeasured.toFixed(2),
          num(measured.workerCallsPerMinute),
          run.sha256 === reference ? 'byte-identical' : 'DIFFERENT',
        ]);
        data.push({
          lanes: run.laneCount,
          status: run.status,
          wallMs: run.wallMs,
          recordsPerSecond: run.rows / (run.wallMs / 1000),
          ...measured,
          functionUsage: run.functionUsage,
          identical: run.sha256 === reference,
          invocations: run.invocations.map((i) => ({
            lane: i.lane_no,
            rows: i.rows_written,
            cpuMs: i.cpu_ms,
            wallMs: i.wall_ms,
            end: i.end_reason,
          })),
        });
      }
      const at = (lanes: number) => data.find((d) => d.lanes === lanes);
      return {
        figures: {
          [`${figurePrefix}_killed_per_100`]: Math.max(at(1)?.killedPer100 ?? NaN, at(8)?.killedPer100 ?? NaN),
          [`${figurePrefix}_records_per_invocation`]: at(1)?.recordsPerInvocation ?? NaN,
          [`${figurePrefix}_records_per_s`]: at(1)?.recordsPerSecond ?? NaN,
          [`${figurePrefix}_8_lanes_records_per_s`]: at(8)?.recordsPerSecond ?? NaN,
          [`${figurePrefix}_estimate_vs_measured`]: at(1)?.estimateVsMeasured ?? NaN,
          [`${figurePrefix}_worker_calls_per_min_8_lanes`]: at(8)?.workerCallsPerMinute ?? NaN,
        },
        tables: [
          {
            title: `${title} (${num(options.records)} demo blog posts, CSV; the devstack stops an isolate after ${num(limitMs)} ms of CPU)`,
            columns: [
              'lanes',
              'outcome',
              'time',
              'records/s',
              'invocations',
              'records/invocation',
              'stopped at the limit',
              'CPU estimate ÷ measured',
              'worker→worker calls/min',
              'file',
            ],
            rows,
            notes: [
              `The worker cannot read its CPU time on the hosted runtime: it hands off when its estimate (timed encoding × ${CPU_ESTIMATE.timedWorkFactor} + ${CPU_ESTIMATE.perExchangeMs} ms an exchange + ${CPU_ESTIMATE.perRequestMs} ms a request) reaches 80 % of BATON_EDGE_CPU_LIMIT_MS (${num(limitMs * 0.8)} ms).`,
              'invocations: those that held the lane (an heir that never got the baton is not counted); records/invocation: rows ÷ those.',
              'stopped at the limit: worker processes the devstack stopped for CPU, of all it ran (heirs included), per 100.',
              'CPU estimate ÷ measured: the workers’ own estimates summed ÷ their main threads’ CPU as the devstack read it from /proc (what the platform counts); ≥ 1 means the estimate errs on the safe side.',
              'file: sha256 of the download against a single-pass encoding of the same records from Typesense’s export endpoint.',
            ],
          },
        ],
        data,
      };
    },
  };
}

function measure(run: ExportRun) {
  const holders = run.invocations.filter((i) => i.shards_written > 0 || i.end_reason === 'completed');
  const usage = run.functionUsage;
  const stoppedAtLimit = usage.stoppedBy.CPUTime ?? 0;
  const estimatedCpuMs = run.invocations.reduce((sum, i) => sum + (i.cpu_ms ?? 0), 0);
  return {
    leaseHolders: holders.length,
    recordsPerInvocation: run.rows / Math.max(1, holders.length),
    processes: usage.ended,
    stoppedAtLimit,
    killedPer100: (100 * stoppedAtLimit) / Math.max(1, usage.ended),
    estimatedCpuMs,
    measuredCpuMs: usage.cpuMs,
    estimateVsMeasured: estimatedCpuMs / Math.max(1, usage.cpuMs),
    workerCallsPerMinute: (run.invocations.length - run.laneCount) / (run.wallMs / 60_000),
  };
}

export const hostedCpu2s = cpuLimitScenario(
  2_000,
  'hosted-cpu-2s',
  '6a. The hosted runtime, 2 s of CPU',
  'hosted_cpu2s',
);
export const hostedCpu200ms = cpuLimitScenario(
  200,
  'hosted-cpu-200ms',
  '6b. The hosted runtime, 200 ms of CPU',
  'hosted_cpu200ms',
);
