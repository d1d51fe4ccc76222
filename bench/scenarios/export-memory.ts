import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnTs } from '../lib/child';
import { runExport, type ExportRun } from '../lib/export-run';
import { mib, num, seconds, type Table } from '../lib/format';
import { sampleRss } from '../lib/proc';
import type { BenchContext, Scenario } from '../lib/scenario';
import { MEMORY_SCENARIO_HEAP_MB as FUNCTION_HEAP_MB, type BenchStack } from '../lib/stack';
import { max, median, sum } from '../lib/stats';

/**
 * Scenario 1 — invariant 1 of the design: worker memory is O(page), not O(export). Baton's peak V8 heap
 * (recorded by each invocation) and peak RSS (read from /proc for every Deno process of the export) at
 * increasing sizes, beside the naive strategy (keep every record, write one file at the end) under the
 * same V8 heap cap.
 */

type NaiveResult = {
  outcome: 'completed' | 'out of memory' | 'crashed';
  records: number;
  wallMs: number;
  peakHeapBytes: number;
  peakRssBytes: number;
  /** RSS after its first page: Node + tsx + clients, before records pile up. */
  startRssBytes: number;
  detail: string;
};

async function runNaive(stack: BenchStack, run: ExportRun): Promise<NaiveResult> {
  const { rows } = await stack.db.query<{ fields: string[]; key_field: string; mandatory_filter: string }>(
    'select fields, key_field, mandatory_filter from public.export_jobs where id = $1',
    [run.jobId],
  );
  const job = rows[0];
  if (!job) throw new Error(`job ${run.jobId} vanished`);
  const out = path.join(os.tmpdir(), `baton-bench-naive-${process.pid}.csv`);
  let records = 0;
  let peakHeapBytes = 0;
  let startRssBytes = Number.NaN;
  let completed = false;
  const started = performance.now();
  const { child, exited } = spawnTs('bench/naive/naive-export.ts', {
    nodeArgs: [`--max-old-space-size=${FUNCTION_HEAP_MB}`],
    env: {
      TYPESENSE_URL: stack.typesenseUrl,
      TYPESENSE_API_KEY: stack.typesenseApiKey,
      COLLECTION: 'blog_posts',
      KEY_FIELD: job.key_field,
      MANDATORY_FILTER: job.mandatory_filter,
      USER_FILTER: run.filter ?? '',
      FIELDS: job.fields.join(','),
      OUT: out,
    },
    onLine: (line) => {
      try {
        const progress = JSON.parse(line) as { records: number; heapUsed: number; rss: number; done?: boolean };
        if (Number.isNaN(startRssBytes)) startRssBytes = progress.rss;
        records = progress.records;
        peakHeapBytes = Math.max(peakHeapBytes, progress.heapUsed);
        completed ||= progress.done === true;
      } catch {
        // Not a progress line.
      }
    },
  });
  const rss = sampleRss(child.pid ?? -1, 50);
  const exit = await exited;
  const samples = await rss.stop();
  await rm(out, { force: true });
  const oom = exit.stderrTail.some((line) => /heap out of memory|Allocation failed/i.test(line));
  return {
    outcome: completed && exit.code === 0 ? 'completed' : oom ? 'out of memory' : 'crashed',
    records,
    wallMs: performance.now() - started,
    peakHeapBytes,
    peakRssBytes: max(samples.map((s) => s.rssBytes)),
    startRssBytes,
    detail: completed
      ? ''
      : (exit.stderrTail.find((l) => /FATAL|Error/.test(l)) ?? `exit ${exit.code ?? exit.signal}`).trim().slice(0, 120),
  };
}

export const exportMemory: Scenario = {
  name: 'export-memory',
  title: '1. Export memory vs size',
  recordsNeeded: (options) => Math.max(...options.sizes),
  functionHeapMb: FUNCTION_HEAP_MB,
  run: async (ctx: BenchContext) => {
    const rows: Table['rows'] = [];
    const data = [];
    for (const size of ctx.options.sizes) {
      const run = await runExport(ctx.stack, { records: size, latencyMs: 0 }, ctx.log);
      const heaps = run.invocations.map((i) => i.peak_heap_bytes ?? Number.NaN).filter(Number.isFinite);
      const rss = run.processes.map((p) => p.peakRssBytes);
      ctx.log(`naive export of ${size} records under a ${FUNCTION_HEAP_MB} MB heap …`);
      const naive = await runNaive(ctx.stack, run);
      const baton = {
        outcome: run.status,
        records: run.rows,
        wallMs: run.wallMs,
        bytes: run.bytes,
        invocations: run.invocations.length,
        lanes: run.laneCount,
        peakHeapBytes: max(heaps),
        medianPeakHeapBytes: median(heaps),
        peakRssBytes: max(rss),
        medianPeakRssBytes: median(rss),
        processesSampled: rss.length,
        // Under this heap cap V8 collects far more often: compare with the speed scenarios at 256 MB.
        isolateCpuPerThousand: (sum(run.processes.map((p) => p.mainThreadCpuMs)) / run.rows) * 1000,
      };
      rows.push(
        [
          num(size),
          `Baton (${run.laneCount} lane${run.laneCount === 1 ? '' : 's'})`,
          run.status,
          num(run.rows),
          seconds(run.wallMs),
          mib(baton.peakHeapBytes),
          mib(baton.peakRssBytes),
          `${num(baton.isolateCpuPerThousand)} ms`,
          `${num(run.invocations.length)} / ${mib(run.bytes, 0)}`,
        ],
        [
          num(size),
          'naive (keep all, write once)',
          naive.outcome,
          num(naive.records),
          seconds(naive.wallMs),
          mib(naive.peakHeapBytes),
          mib(naive.peakRssBytes),
          '—',
          `1 / start RSS ${mib(naive.startRssBytes, 0)}`,
        ],
      );
      data.push({ records: size, baton, naive });
    }
    const measured = [...data];
    const peakAt = (records: number) => measured.find((d) => d.records === records)?.baton.peakHeapBytes ?? Number.NaN;
    const largest = Math.max(...ctx.options.sizes);
    return {
      figures: {
        // The 1,000,000-record point is opt-in (--sizes …,1000000); without it the largest size stands in.
        [largest >= 1_000_000 ? 'heap_ratio_1m_vs_10k' : `heap_ratio_${largest / 1000}k_vs_10k`]:
          peakAt(largest) / peakAt(10_000),
      },
      tables: [
        {
          title: `${exportMemory.title} (demo blog_posts, CSV, all 17 fields, ~1.9 KB a record; V8 heap cap ${FUNCTION_HEAP_MB} MB for both)`,
          columns: [
            'records',
            'strategy',
            'outcome',
            'rows out',
            'wall',
            'peak V8 heap',
            'peak RSS',
            'isolate CPU / 1k',
            'processes / output',
          ],
          rows,
          notes: [
            'Lanes: the default for the size (one per ~25,000 records, at most 8); each lane is its own chain of processes.',
            'Baton peak V8 heap: the largest `peak_heap_bytes` any invocation recorded (sampled after each shard, that page and the prefetched next one still reachable).',
            'Baton peak RSS: the largest VmHWM (kernel RSS high-water mark) of the export-worker Deno processes, polled from /proc every 100 ms.',
            'Naive: Node under --max-old-space-size=' +
              FUNCTION_HEAP_MB +
              ', same keyset pages and encoder; heap = process.memoryUsage() per page, RSS from /proc.',
            'isolate CPU / 1k: main-thread CPU of the worker processes (/proc, boot included) per 1,000 records, under this heap cap.',
            'rows out (naive): records it held when it finished or died. 1,000,000 records is opt-in: --sizes 10000,100000,1000000.',
          ],
        },
      ],
      data,
    };
  },
};
