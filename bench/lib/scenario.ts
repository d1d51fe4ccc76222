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
  /** download: size of the synthetic export (MiB). */
  downloadMiB: number;
  /** pagination: page numbers (of 250) to compare; pages beyond the collection are skipped. */
  pages: number[];
};

export type BenchContext = {
  stack: BenchStack;
  options: BenchOptions;
  log: (message: string) => void;
};

export type ScenarioResult = { tables: Table[]; data: unknown };

export type Scenario = {
  name: string;
  title: string;
  /** Demo blog posts the scenario needs seeded. */
  recordsNeeded: (options: BenchOptions) => number;
  run: (ctx: BenchContext) => Promise<ScenarioResult>;
};
