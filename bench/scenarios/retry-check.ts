import { listShards } from '../../lib/exports/list-shards';
import { verifyShards, type ShardStorage } from '../../lib/exports/verify-shards';
import { storedObjectSize } from '../../lib/storage/stored-object-size';
import { EXPORTS_BUCKET, laneFolder } from '../../supabase/functions/_shared/shard-key.ts';
import { runExport } from '../lib/export-run';
import { ms, num, seconds, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import { setLatency } from '../lib/stack';

/**
 * Scenario 7b — what "Retry missing" costs to find missing objects. Its default check reads one byte of
 * every written shard from storage's backend (`lib/storage/stored-object-size.ts`): a listing or `info()`
 * answers from the storage rows and cannot see an object lost under its row. Measured on a real export's
 * shards, each checked as many times as it takes to make 4,000 checks (the size), as is and with
 * 20 ms of injected storage latency; beside it, what the listing the issue suggested would have cost
 * (one per lane folder) and the checksum check, which reads every byte.
 *
 * Named figures: retry_check_4000_shards_s, retry_check_4000_shards_20ms_s, retry_checksum_ms_per_shard.
 */
const CHECKS = 4_000;

export const retryCheck: Scenario = {
  name: 'retry-check',
  title: '7b. The "Retry missing" check',
  recordsNeeded: (options) => options.records,
  run: async (ctx: BenchContext) => {
    const { stack, options, log } = ctx;
    const run = await runExport(stack, { records: options.records, latencyMs: 0 }, log);
    const { shards } = await listShards(stack.admin, run.jobId);
    const written = shards.filter((s) => s.status === 'written');
    const storage: ShardStorage = {
      admin: stack.admin,
      storedSize: storedObjectSize({ url: stack.apiUrl, secretKey: stack.serviceRoleKey }),
    };
    const repeated = Array.from({ length: CHECKS }, (_, i) => written[i % written.length]!);
    const { rows: job } = await stack.db.query<{ organisation_id: string; lanes: number }>(
      `select j.organisation_id, (select count(*)::int from public.export_lanes l where l.job_id = j.id) as lanes
       from public.export_jobs j where j.id = $1`,
      [run.jobId],
    );

    type Row = { latencyMs: number; sizeMs: number; problems: number; listingMs: number; listed: number };
    const rows: Row[] = [];
    for (const latencyMs of [0, 20]) {
      await setLatency(stack, latencyMs);
      log(`retry-check: ${num(CHECKS)} size checks at ${latencyMs} ms storage latency …`);
      let started = performance.now();
      const checks = await verifyShards(storage, repeated, { checksums: false });
      const sizeMs = performance.now() - started;
      started = performance.now();
      let listed = 0;
      for (let lane = 1; lane <= job[0]!.lanes; lane++) {
        for (let offset = 0; ; offset += 1000) {
          const { data, error } = await stack.admin.storage
            .from(EXPORTS_BUCKET)
            .list(laneFolder(job[0]!.organisation_id, run.jobId, lane), { limit: 1000, offset });
          if (error) throw error;
          listed += data.length;
          if (data.length < 1000) break;
        }
      }
      rows.push({
        latencyMs,
        sizeMs,
        problems: checks.filter((c) => c.state !== 'ok').length,
        listingMs: performance.now() - started,
        listed,
      });
    }
    await setLatency(stack, 0);
    log(`retry-check: checksums of ${num(written.length)} shards …`);
    const started = performance.now();
    const checksums = await verifyShards(storage, written, { checksums: true });
    const checksumMs = performance.now() - started;

    const perLatency = (latencyMs: number) => rows.find((r) => r.latencyMs === latencyMs)!;
    const table: Table = {
      title: `7b. The "Retry missing" check (${num(CHECKS)} shard checks: the ${num(written.length)} shards of a ${num(run.rows)}-record export, each checked ${num(CHECKS / written.length, 1)} times)`,
      columns: [
        'storage latency',
        'size check (1 byte read each)',
        'per shard',
        'found damaged',
        'listing of the lane folders (for comparison)',
      ],
      rows: rows.map((r) => [
        `${r.latencyMs} ms`,
        seconds(r.sizeMs, 2),
        ms(r.sizeMs / CHECKS, 2),
        r.problems,
        `${ms(r.listingMs)} (${num(r.listed)} objects; cannot see an object lost under its row)`,
      ]),
      notes: [
        `Checksum check (reads and hashes every byte) of the ${num(written.length)} shards: ${seconds(checksumMs, 2)}, ${ms(checksumMs / written.length, 1)} a shard, ${checksums.filter((c) => c.state !== 'ok').length} found damaged.`,
        'Size checks run 16 at a time; the storage latency is injected per request by the devstack. On this 2-core box the app, the devstack and its Postgres share the CPU, so the 0 ms row is CPU-bound.',
      ],
    };
    return {
      tables: [table],
      data: { jobId: run.jobId, shards: written.length, checks: CHECKS, rows, checksumMs },
      figures: {
        retry_check_4000_shards_s: perLatency(0).sizeMs / 1000,
        retry_check_4000_shards_20ms_s: perLatency(20).sizeMs / 1000,
        retry_checksum_ms_per_shard: checksumMs / written.length,
      },
    };
  },
};
