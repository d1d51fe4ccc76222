import { createClient, type RealtimeChannel } from '@supabase/supabase-js';
import { readExportManifest, readExportManifestChanges } from '../../lib/exports/read-export-manifest';
import type { ExportManifest } from '../../lib/queries/export-manifest-query';
import { mergeManifestChanges } from '../../lib/queries/merge-manifest-changes';
import type { TypedSupabaseClient } from '../../lib/supabase/typed-client';
import { runExport } from '../lib/export-run';
import { ms, num, ratio, seconds, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import type { BenchStack } from '../lib/stack';
import { sum } from '../lib/stats';

/**
 * Scenario 10 — what the export page costs the database while it watches a large export to its end.
 * A 1,000,000-record export (250 records a shard: 4,000 shards) runs for real; a second supabase-js
 * client signed in as the member is its page: joined to the private topic `export:<job>`, it reads the
 * manifest through the route's domain functions after every job-row change it receives — the whole
 * manifest once, then only what changed since its cursor, merged into its copy as the browser does
 * (mergeManifestChanges). Every tenth change it also reads the whole manifest, what the page did
 * before (for comparison; not merged).
 *
 * Database time is what pg_stat_statements counts for the statements run as `authenticated` (the
 * member's REST requests; nothing else runs as that role meanwhile): execution plus planning, read just
 * before and after each read. Per shard: a read's time over the shards that landed since the page's
 * previous read. Start and end: reads made while the page held the first and the last 10 % of the shards.
 * One lane, so shards land at one pace from the first to the last and a read at the end carries as many
 * as one at the start (the page reads the same whatever the lanes).
 *
 * Figures: `live_view_cost_last_vs_first` (database time per shard, end ÷ start; target ≤ 1.5),
 * `live_view_full_read_cost_last_vs_first` (the same for whole reads), `live_view_db_ms_per_shard`.
 */

type PageRead = {
  kind: 'changes' | 'whole';
  /** Shards the page held before the read. */
  held: number;
  /** Shards that landed since the page's previous read (new shard numbers in its answer). */
  landed: number;
  /** Shard rows the answer carried. */
  shardRows: number;
  dbMs: number;
  statements: number;
  wallMs: number;
};

const WHOLE_EVERY = 10;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** What pg_stat_statements has counted so far for statements run as `authenticated`. */
async function memberStatements(stack: BenchStack): Promise<{ calls: number; ms: number }> {
  const { rows } = await stack.db.query<{ calls: number; ms: number }>(
    `select coalesce(sum(calls), 0)::float8 as calls, coalesce(sum(total_exec_time + total_plan_time), 0)::float8 as ms
     from extensions.pg_stat_statements where userid = 'authenticated'::regrole`,
  );
  return rows[0] ?? { calls: 0, ms: 0 };
}

function subscribed(channel: RealtimeChannel): Promise<void> {
  return new Promise((resolve, reject) =>
    channel.subscribe((status, error) => {
      if (status === 'SUBSCRIBED') resolve();
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
    }),
  );
}

/** The rows the page shows, to compare its merged copy with one whole read. */
const rowsOf = (m: ExportManifest) => ({
  shards: m.shards,
  attempts: m.attempts,
  invocations: m.invocations,
  failures: m.failures,
  events: m.events,
});

type Watch = {
  reads: PageRead[];
  messages: number;
  /** The page's merged copy equals one whole read once the export settled (else: the lists that differ). */
  converged: boolean;
  differing: string[];
  shards: number;
};

/** The page, from the job's creation to its end. */
async function watch(stack: BenchStack, jobId: string, log: (message: string) => void): Promise<Watch> {
  const page = createClient(stack.apiUrl, stack.anonKey, {
    accessToken: async () => stack.user.accessToken,
  }) as unknown as TypedSupabaseClient;
  await page.realtime.setAuth();
  let pending = 0;
  let messages = 0;
  let wake: (() => void) | null = null;
  const channel = page
    .channel(`export:${jobId}`, { config: { private: true } })
    .on('broadcast', { event: 'UPDATE' }, () => {
      pending += 1;
      messages += 1;
      wake?.();
    });
  await subscribed(channel);

  const measured = async <T>(read: () => Promise<T>) => {
    const before = await memberStatements(stack);
    const started = performance.now();
    const result = await read();
    const wallMs = performance.now() - started;
    const after = await memberStatements(stack);
    return { result, wallMs, dbMs: after.ms - before.ms, statements: after.calls - before.calls };
  };

  try {
    const first = await measured(() => readExportManifest(page, jobId));
    let cache: ExportManifest = { ...first.result, verification: null };
    const reads: PageRead[] = [
      {
        kind: 'whole',
        held: 0,
        landed: first.result.shards.length,
        shardRows: first.result.shards.length,
        dbMs: first.dbMs,
        statements: first.statements,
        wallMs: first.wallMs,
      },
    ];
    let changeReads = 0;
    for (;;) {
      // Woken by the next change; a page that heard nothing for 5 s reads anyway (its silence check).
      if (pending === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 5_000);
        });
      }
      wake = null;
      pending = 0;
      const held = cache.shards.length;
      const changes = await measured(() => readExportManifestChanges(page, jobId, cache.cursor!));
      cache = mergeManifestChanges(cache, changes.result);
      const landed = cache.shards.length - held;
      reads.push({
        kind: 'changes',
        held,
        landed,
        shardRows: changes.result.shards.length,
        dbMs: changes.dbMs,
        statements: changes.statements,
        wallMs: changes.wallMs,
      });
      changeReads += 1;
      if (changeReads % WHOLE_EVERY === 0) {
        const whole = await measured(() => readExportManifest(page, jobId));
        reads.push({
          kind: 'whole',
          held,
          landed,
          shardRows: whole.result.shards.length,
          dbMs: whole.dbMs,
          statements: whole.statements,
          wallMs: whole.wallMs,
        });
      }
      if (changeReads % 100 === 0) log(`live view: ${num(changeReads)} reads, ${num(cache.shards.length)} shards held`);
      if (TERMINAL.has(changes.result.job.status)) break;
    }
    // After the end the worker still closes its invocations (their figures), with no job-row change:
    // the page's copy is compared with a whole read once one more read since its cursor finds it settled.
    let differing: string[] = [];
    let shards = cache.shards.length;
    for (let attempt = 0; attempt < 5; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      cache = mergeManifestChanges(cache, await readExportManifestChanges(page, jobId, cache.cursor!));
      const whole = await readExportManifest(page, jobId);
      const mine = rowsOf(cache);
      const theirs = rowsOf({ ...whole, verification: null });
      differing = (Object.keys(mine) as Array<keyof typeof mine>).filter(
        (list) => JSON.stringify(mine[list]) !== JSON.stringify(theirs[list]),
      );
      shards = whole.shards.length;
      if (differing.length === 0) break;
    }
    return { reads, messages, converged: differing.length === 0, differing, shards };
  } finally {
    await page.removeAllChannels();
  }
}

/** Σ database time ÷ Σ shards landed: what the page paid per shard over `reads`. */
const perShard = (reads: PageRead[]) => sum(reads.map((r) => r.dbMs)) / sum(reads.map((r) => r.landed));
const perRead = (reads: PageRead[]) => sum(reads.map((r) => r.dbMs)) / reads.length;

/** Least-squares line through (shards held, database time) of the whole reads: its cost at any size. */
function fit(reads: PageRead[]): (held: number) => number {
  const n = reads.length;
  const mx = sum(reads.map((r) => r.held)) / n;
  const my = sum(reads.map((r) => r.dbMs)) / n;
  const sxx = sum(reads.map((r) => (r.held - mx) ** 2));
  const slope = sxx > 0 ? sum(reads.map((r) => (r.held - mx) * (r.dbMs - my))) / sxx : 0;
  return (held) => my + slope * (held - mx);
}

export const liveView: Scenario = {
  name: 'live-view',
  title: '10. Live view cost',
  recordsNeeded: (options) => options.liveViewRecords,
  statementStats: true,
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    let watched: Promise<Watch> | undefined;
    const run = await runExport(
      stack,
      {
        records: options.liveViewRecords,
        latencyMs: 0,
        lanes: 1,
        during: (jobId) => {
          watched = watch(stack, jobId, ctx.log);
          return watched.then(() => undefined);
        },
      },
      ctx.log,
    );
    if (!watched) throw new Error('the page never watched the export');
    const page = await watched;
    const total = page.shards;
    const changes = page.reads.filter((r) => r.kind === 'changes');
    const wholes = page.reads.filter((r) => r.kind === 'whole' && r.held > 0);
    const inShare = (reads: PageRead[], from: number, to: number) =>
      reads.filter((r) => r.held >= from * total && (to >= 1 ? r.held <= total : r.held < to * total));

    const rows: Table['rows'] = [];
    const deciles = [];
    for (let d = 0; d < 10; d++) {
      const c = inShare(changes, d / 10, (d + 1) / 10);
      const w = inShare(wholes, d / 10, (d + 1) / 10);
      deciles.push({
        fromShard: Math.round((d / 10) * total),
        changes: { reads: c.length, landed: sum(c.map((r) => r.landed)), dbMs: sum(c.map((r) => r.dbMs)) },
        whole: { reads: w.length, landed: sum(w.map((r) => r.landed)), dbMs: sum(w.map((r) => r.dbMs)) },
      });
      rows.push([
        `${num((d / 10) * total)}–${num(((d + 1) / 10) * total)}`,
        num(c.length),
        num(sum(c.map((r) => r.landed)) / c.length, 1),
        ms(perRead(c), 2),
        ms(perShard(c), 3),
        num(sum(c.map((r) => r.statements)) / c.length, 1),
        num(w.length),
        ms(perRead(w), 1),
        ms(perShard(w), 2),
      ]);
    }
    const first = { changes: inShare(changes, 0, 0.1), whole: inShare(wholes, 0, 0.1) };
    const last = { changes: inShare(changes, 0.9, 1), whole: inShare(wholes, 0.9, 1) };
    const changesRatio = perShard(last.changes) / perShard(first.changes);
    const wholeRatio = perShard(last.whole) / perShard(first.whole);
    rows.push([
      'end ÷ start',
      '',
      '',
      ratio(perRead(last.changes) / perRead(first.changes)),
      ratio(changesRatio),
      '',
      '',
      ratio(perRead(last.whole) / perRead(first.whole)),
      ratio(wholeRatio),
    ]);
    const wholeAt = fit(wholes);
    const changesTotalMs = sum(changes.map((r) => r.dbMs));
    const wholeEveryChangeMs = sum(changes.map((r) => wholeAt(r.held)));

    return {
      tables: [
        {
          title: `${liveView.title} (${num(options.liveViewRecords)}-record export, one lane, ${num(total)} shards, its page reading the manifest after every change; ${run.status} in ${seconds(run.wallMs)})`,
          columns: [
            'shards held',
            'reads',
            'shards a read',
            'changes: DB per read',
            'DB per shard',
            'statements',
            'whole reads',
            'whole: DB per read',
            'DB per shard',
          ],
          rows,
          notes: [
            `changes: the page's read since its cursor (this version); whole: the whole manifest, what the page read at every change before (every ${WHOLE_EVERY}th change here, not merged).`,
            `DB: execution + planning time of the member's statements (pg_stat_statements, role authenticated) around each read; per shard: over the shards that landed since the page's previous read.`,
            `end ÷ start: reads while the page held the last 10 % of the shards against the first 10 %.`,
            `Over the export: ${num(changes.length)} reads since a cursor cost ${seconds(changesTotalMs, 2)} of database time; the whole manifest at each of those changes would have cost ≈ ${seconds(wholeEveryChangeMs, 1)} (a line fitted through the whole reads).`,
            `The page's merged copy ${page.converged ? 'equals' : `DIFFERS FROM (${page.differing.join(', ')})`} one whole read after the end; ${num(page.messages)} job-row changes received.`,
          ],
        },
      ],
      data: {
        records: options.liveViewRecords,
        status: run.status,
        wallMs: run.wallMs,
        shards: total,
        messages: page.messages,
        converged: page.converged,
        differing: page.differing,
        changesTotalMs,
        wholeEveryChangeEstimateMs: wholeEveryChangeMs,
        deciles,
        reads: page.reads,
      },
      figures: {
        live_view_cost_last_vs_first: changesRatio,
        live_view_full_read_cost_last_vs_first: wholeRatio,
        live_view_db_ms_per_shard: perShard(changes),
      },
    };
  },
};
