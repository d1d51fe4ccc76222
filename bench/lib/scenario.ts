import type { Table } from './format';
import type { BenchStack } from './stack';

/** What `bench/run.ts` parsed from the command line; every scenario reads only its own knobs. */
export type BenchOptions = {
  /** export-memory: export sizes (records). */
  sizes: number[];
  /** export-throughput, handoff, realtime: records of the measured export. */
  records: number;
  /** handoff: records exported with the short (1.5 s) budget. */
  shortBudgetRecords: number;
  /** Injected latencies (ms a request) under which scenarios 2–5 run: 0 = as is. */
  latencies: number[];
  /** lanes: lane counts compared, at each of `lanesLatencies`. */
  lanes: number[];
  /**
   * Injected latencies of the lanes scenario: 20 ms (the figure; this 2-core box runs out of CPU
   * before 4 lanes do) and 100 ms, where the lanes wait more than they compute and the machine is not the bound.
   */
  lanesLatencies: number[];
  /** kill-recovery: hard kills of every worker during one export. */
  kills: number;
  /** download: size of the synthetic export (MiB). */
  downloadMiB: number;
  /** pagination: page numbers (of 250) to compare; pages beyond the collection are skipped. */
  pages: number[];
  /** realtime-viewers: exports run at once in one organisation, and records in each. */
  viewerJobs: number;
  viewerRecords: number;
  /** realtime-viewers: members watching the exports list, and members each on one export's page. */
  viewers: number;
  detailViewers: number;
  /** realtime-viewers: how long the same number of job rows are written at a full-speed worker's rate. */
  viewerSeconds: number;
  /** live-view: records of the export its page watches (250 a shard: 1,000,000 is 4,000 shards). */
  liveViewRecords: number;
  /** webhook-delivery: exports whose `completed` event is timed to the receiver. */
  webhookEvents: number;
};

export type BenchContext = {
  stack: BenchStack;
  options: BenchOptions;
  log: (message: string) => void;
};

/**
 * What a scenario measured: its tables, its raw data, and its headline figures by name (e.g.
 * `one_lane_vs_scan`), which `bench/results/summary.json` keeps with the date of this run.
 */
type ScenarioResult = { tables: Table[]; data: unknown; figures?: Record<string, number> };

export type Scenario = {
  name: string;
  title: string;
  /** Demo blog posts the scenario needs seeded. */
  recordsNeeded: (options: BenchOptions) => number;
  /**
   * V8 heap cap of the worker for this scenario (MB). Default: the hosted 256 MB, at which speed is
   * measured; the memory scenario caps it at 64 MB to show the heap stays flat far below the limit.
   */
  functionHeapMb?: number;
  /** CPU limit the devstack enforces on the worker's isolate (ms). Default: the hosted 2 s. */
  functionCpuLimitMs?: number;
  /** Its devstack preloads pg_stat_statements (database time per statement); default: off. */
  statementStats?: boolean;
  run: (ctx: BenchContext) => Promise<ScenarioResult>;
};
