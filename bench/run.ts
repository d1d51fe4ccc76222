import { parseArgs } from 'node:util';
import { renderTable } from './lib/format';
import { machineInfo } from './lib/machine';
import { tableTexts, writeLatest, writeScenarioRecord } from './lib/results';
import type { BenchOptions, Scenario } from './lib/scenario';
import { HOSTED_CPU_LIMIT_MS, HOSTED_HEAP_MB, startBenchStack, type BenchStack } from './lib/stack';
import { recordFigures } from './lib/summary';
import { download } from './scenarios/download';
import { exportMemory } from './scenarios/export-memory';
import { exportThroughput } from './scenarios/export-throughput';
import { hostedCpu200ms, hostedCpu2s } from './scenarios/cpu-limit';
import { pool } from './scenarios/pool';
import { handoff } from './scenarios/handoff';
import { killRecovery } from './scenarios/kill-recovery';
import { lanes } from './scenarios/lanes';
import { liveView } from './scenarios/live-view';
import { pagination } from './scenarios/pagination';
import { realtime } from './scenarios/realtime';
import { realtimeViewers } from './scenarios/realtime-viewers';
import { retryCheck } from './scenarios/retry-check';
import { webhookDelivery } from './scenarios/webhook-delivery';

/**
 * `npm run bench` runs every scenario on a fresh devstack (one per worker heap cap: the hosted 256 MB,
 * and 64 MB for the memory scenario); `npx tsx bench/run.ts <scenario…> [flags]` runs some. Benchmarks
 * never fail on a timing: they print tables and write bench/results/, including summary.json (each
 * scenario's named figures, with the date of the run they came from).
 *
 * Flags (defaults fit ~50 minutes on 2 cores at the hosted Deno level):
 *   --sizes 10000,100000        export-memory sizes; add 1000000 for the 1M point (~10 min more)
 *   --records 100000            export of the throughput, hand-off and realtime scenarios
 *   --short-budget-records 50000  export run with the 1.5 s time budget (hand-off scenario)
 *   --latencies 0,20            injected Typesense + Storage latency (ms a request) for scenarios 2–5
 *   --lanes 1,2,4,8             lane counts compared by the lanes scenario
 *   --lanes-latencies 20,100    injected latencies the lanes scenario compares them at
 *   --kills 5                   hard kills of every worker in the kill-recovery scenario
 *   --download-mib 1024         size of the synthetic export the download scenario streams
 *   --pages 1,40,400,4000       pagination depths (pages past the seeded collection are skipped)
 *   --viewer-jobs 20            realtime-viewers: exports run at once in one organisation …
 *   --viewer-records 5000       … of this many records each,
 *   --viewers 50                … watched by this many members on the list
 *   --detail-viewers 5          … and this many on one export's page each; then
 *   --viewer-seconds 60         … as many job rows written at a full-speed worker's rate for this long
 *   --live-view-records 1000000 live-view: the export its page watches (250 a shard)
 *   --webhook-events 40         webhook-delivery: exports whose "completed" event is timed to a receiver
 */
const scenarios: Scenario[] = [
  exportMemory,
  exportThroughput,
  handoff,
  lanes,
  pool,
  killRecovery,
  hostedCpu2s,
  hostedCpu200ms,
  download,
  retryCheck,
  realtime,
  realtimeViewers,
  pagination,
  liveView,
  webhookDelivery,
];

const list = (text: string) =>
  text
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v) => Number.isFinite(v));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    records: { type: 'string', default: '100000' },
    'short-budget-records': { type: 'string', default: '50000' },
    latencies: { type: 'string', default: '0,20' },
    lanes: { type: 'string', default: '1,2,4,8' },
    'lanes-latencies': { type: 'string', default: '20,100' },
    kills: { type: 'string', default: '5' },
    'download-mib': { type: 'string', default: '1024' },
    pages: { type: 'string', default: '1,40,400,4000' },
    'viewer-jobs': { type: 'string', default: '20' },
    'viewer-records': { type: 'string', default: '5000' },
    viewers: { type: 'string', default: '50' },
    'detail-viewers': { type: 'string', default: '5' },
    'viewer-seconds': { type: 'string', default: '60' },
    'live-view-records': { type: 'string', default: '1000000' },
    'webhook-events': { type: 'string', default: '40' },
  },
});

const options: BenchOptions = {
  sizes: list(values.sizes),
  records: Number(values.records),
  shortBudgetRecords: Number(values['short-budget-records']),
  latencies: list(values.latencies),
  lanes: list(values.lanes),
  lanesLatencies: list(values['lanes-latencies']),
  kills: Number(values.kills),
  downloadMiB: Number(values['download-mib']),
  pages: list(values.pages),
  viewerJobs: Number(values['viewer-jobs']),
  viewerRecords: Number(values['viewer-records']),
  viewers: Number(values.viewers),
  detailViewers: Number(values['detail-viewers']),
  viewerSeconds: Number(values['viewer-seconds']),
  liveViewRecords: Number(values['live-view-records']),
  webhookEvents: Number(values['webhook-events']),
};

const unknown = positionals.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = positionals.length > 0 ? scenarios.filter((s) => positionals.includes(s.name)) : scenarios;
const command = process.argv.length > 2 ? `npx tsx bench/run.ts ${process.argv.slice(2).join(' ')}` : 'npm run bench';

const runStarted = Date.now();
const log = (message: string) =>
  console.log(`[bench ${((Date.now() - runStarted) / 1000).toFixed(0).padStart(4)} s] ${message}`);

// One devstack per set of worker limits the selected scenarios need (heap cap, CPU limit), one after the other.
const limitsOf = (s: Scenario) => ({
  heapMb: s.functionHeapMb ?? HOSTED_HEAP_MB,
  cpuLimitMs: s.functionCpuLimitMs ?? HOSTED_CPU_LIMIT_MS,
  statementStats: s.statementStats ?? false,
});
const limitSets = [...new Set(selected.map((s) => JSON.stringify(limitsOf(s))))];
let stack: BenchStack | undefined;
const stopStack = async () => {
  const running = stack;
  stack = undefined;
  await running?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopStack().finally(() => process.exit(130)));
}

for (const limitSet of limitSets) {
  const group = selected.filter((s) => JSON.stringify(limitsOf(s)) === limitSet);
  const { heapMb, cpuLimitMs, statementStats } = limitsOf(group[0]!);
  // Whole thousands keep the demo key arithmetic exact (see demoKeyBound); 100,000 is the demo's minimum.
  const blogPosts = Math.max(100_000, ...group.map((s) => s.recordsNeeded(options)));
  log(
    `starting a devstack with ${blogPosts.toLocaleString('en-US')} demo blog posts, worker heap ${heapMb} MB, CPU limit ${cpuLimitMs} ms …`,
  );
  try {
    stack = await startBenchStack({
      blogPosts,
      functionHeapMb: heapMb,
      functionCpuLimitMs: cpuLimitMs,
      statementStats,
    });
    log(`devstack ready (${stack.apiUrl})`);
    for (const scenario of group) {
      log(`${scenario.title} …`);
      const started = Date.now();
      const machine = machineInfo();
      let record;
      try {
        const result = await scenario.run({ stack, options, log });
        record = { tables: tableTexts(result.tables), data: result.data };
        await recordFigures(result.figures ?? {}, {
          scenario: scenario.name,
          date: new Date(started).toISOString(),
          load: machine.loadAverage,
        });
      } catch (error) {
        // One broken scenario must not cost the others' results.
        console.error(error);
        record = { tables: [], data: null, error: error instanceof Error ? error.message : String(error) };
      }
      await writeScenarioRecord({
        scenario: scenario.name,
        title: scenario.title,
        date: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        command,
        machine,
        options,
        ...record,
      });
      for (const table of record.tables) console.log(`\n${renderTable(table)}\n`);
    }
  } finally {
    await stopStack();
  }
}
await writeLatest(
  scenarios.map((s) => s.name),
  { command, durationMs: Date.now() - runStarted, date: new Date(runStarted).toISOString() },
);
log(
  `done in ${((Date.now() - runStarted) / 60_000).toFixed(1)} min; results in bench/results/ (latest.md, latest.json, <scenario>.json)`,
);
