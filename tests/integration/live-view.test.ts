import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExportManifest, readExportManifestChanges } from '../../lib/exports/read-export-manifest';
import type { ExportManifest } from '../../lib/queries/export-manifest-query';
import { mergeManifestChanges } from '../../lib/queries/merge-manifest-changes';
import { type Json, type Lease, leaseArgs, recordStatement, stateMachineCalls } from './state-machine-calls';
import { createSource, createTenant, type Tenant } from './export-fixtures';
import { testStack } from './stack-info';

/**
 * The export page's live read (migration 20261209000200_manifest_change_cursor): a whole read gives a
 * cursor; a read since that cursor gives exactly the shards, replaced attempts and invocations written
 * after it — through the signed-in member's own client (RLS), as GET /api/exports/:id/shards does
 * (readExportManifest / readExportManifestChanges are its domain functions) — and nothing a writer
 * commits late is ever lost, whatever order transactions commit in. The state machine is driven as the
 * service role, the way the worker calls it.
 */
const stack = testStack();
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 6 });
const { asService, rpc, claimLane: claim } = stateMachineCalls(db);

type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };
const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

let tenant: Tenant;
let sourceId: string;

async function newJob(bounds: number[] = []): Promise<string> {
  const [row] = await asService<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows, lane_bounds)
     values ($1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id,title}', 'csv', 1000, $4) returning id`,
    [tenant.organisationId, sourceId, tenant.userId, bounds],
  );
  return row!.id;
}

async function record(l: Lease, seq: number, after: number | null, last: number, rerunOf: number | null = null) {
  const shard = { seq, after, last, rerunOf: rerunOf ?? undefined, keySuffix: `.${randomUUID().slice(0, 4)}` };
  const [row] = await asService<{ result: Json }>(...recordStatement(l, shard));
  expect(row!.result).toMatchObject({ outcome: 'recorded' });
  return row!.result.shard_no as number;
}

const whole = (jobId: string) => readExportManifest(tenant.client, jobId);
const since = (jobId: string, cursor: string) => readExportManifestChanges(tenant.client, jobId, cursor);
const shardKeys = (rows: Array<{ lane: number; lane_seq: number; attempt: number }>) =>
  rows.map((s) => `${s.lane}.${s.lane_seq}@${s.attempt}`);

/** What the page holds: its manifest with `verification`, as the route answers it. */
const asPage = (read: Awaited<ReturnType<typeof whole>>): ExportManifest => ({ ...read, verification: null });

/** Rows as the page compares them: without the fields only a newer write changes (timestamps stay). */
const sameRows = (page: ExportManifest) => ({
  job: page.job.id,
  shards: page.shards,
  attempts: page.attempts,
  invocations: page.invocations,
  failures: page.failures,
  events: page.events,
});

beforeAll(async () => {
  tenant = await createTenant(db, 'Live view agency');
  sourceId = await createSource(db, tenant.organisationId, 'blog_posts', null);
});
afterAll(() => db.end());

describe('a read since a cursor', () => {
  it('returns exactly what was written after the read that gave the cursor: new shards, re-runs, attempts, invocations', async () => {
    const jobId = await newJob([1000]);
    const one = await claim(jobId, 1);
    const two = await claim(jobId, 2);
    await record(one, 1, null, 250);
    await record(two, 1, 1000, 1250);
    await record(one, 2, 250, 500);

    const first = await whole(jobId);
    expect(shardKeys(first.shards)).toEqual(['1.1@1', '1.2@1', '2.1@1']);
    expect(first.invocations.map((i) => i.id).sort()).toEqual([one.invocation, two.invocation].sort());
    expect(first.cursor).toMatch(/^[1-9][0-9]*$/);

    // Nothing written since: nothing comes back but the job row, failures and events (always whole).
    const quiet = await since(jobId, first.cursor);
    expect(quiet).toMatchObject({ since: first.cursor, shards: [], attempts: [], invocations: [], failures: [] });
    expect(quiet.job.id).toBe(jobId);
    expect(BigInt(quiet.cursor)).toBeGreaterThanOrEqual(BigInt(first.cursor));

    // Lane 2 records (its invocation moves with it); lane 1's holder only renews its lease.
    await record(two, 2, 1250, 1500);
    expect(await rpc('public.heartbeat_export_lane', leaseArgs(one))).toMatchObject({ held: true });
    const moved = await since(jobId, quiet.cursor);
    expect(shardKeys(moved.shards)).toEqual(['2.2@1']);
    expect(moved.invocations.map((i) => i.id).sort()).toEqual([one.invocation, two.invocation].sort());
    expect(moved.attempts).toEqual([]);

    // The job ends, and a re-run of shard 1.2 is asked for: the shard changes (waiting for its re-run).
    await rpc('public.finish_export_lane', leaseArgs(one));
    await rpc('public.finish_export_lane', leaseArgs(two));
    const [rerunOf] = await asService<{ shard_no: number }>(
      'select shard_no from public.export_shards where job_id = $1 and lane = 1 and lane_seq = 2',
      [jobId],
    );
    const ended = await since(jobId, moved.cursor);
    expect(shardKeys(ended.shards)).toEqual([]);
    expect(ended.invocations.map((i) => [i.id, i.end_reason]).sort()).toEqual(
      [
        [one.invocation, 'completed'],
        [two.invocation, 'completed'],
      ].sort(),
    );
    await rpc('public.request_export_rerun', [jobId, [rerunOf!.shard_no], ['missing in storage']]);
    const asked = await since(jobId, ended.cursor);
    expect(asked.shards.map((s) => [s.shard_no, s.status, s.problem])).toEqual([
      [rerunOf!.shard_no, 'rerun_requested', 'missing in storage'],
    ]);
    expect(asked.events.map((e) => e.kind)).toEqual(['completed', 'rerun_requested']);

    // Its re-run rewrites it and keeps the replaced attempt; a new invocation did it.
    const again = await claim(jobId, 1);
    await record(again, 2, 250, 500, rerunOf!.shard_no);
    const rerun = await since(jobId, asked.cursor);
    expect(shardKeys(rerun.shards)).toEqual(['1.2@2']);
    expect(rerun.attempts.map((a) => [a.shard_no, a.attempt, a.replaced_because])).toEqual([
      [rerunOf!.shard_no, 1, 'missing in storage'],
    ]);
    expect(rerun.invocations.map((i) => i.id)).toEqual([again.invocation]);

    // The page that merged each of those answers holds what one whole read holds now.
    let page = asPage(first);
    for (const changes of [quiet, moved, ended, asked, rerun]) page = mergeManifestChanges(page, changes);
    expect(sameRows(page)).toEqual(sameRows(asPage(await whole(jobId))));
  });

  it('misses nothing committed after it began, whatever order writers commit in', async () => {
    const jobId = await newJob([1000]);
    const one = await claim(jobId, 1);
    const two = await claim(jobId, 2);
    const shardNo = await record(one, 1, null, 250);
    const start = await whole(jobId);

    // A download marks a problem on shard 1 (no job lock) and lane 1's holder renews its lease, both in
    // transactions that stay open; meanwhile lane 2 records a shard and commits: newer writes, committed
    // first. A cursor taken from the newest row seen would pass over the two older ones for good.
    const late = await db.connect();
    try {
      await late.query('begin');
      await late.query(
        `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`,
      );
      await late.query(`select public.record_export_shard_problem($1, $2, 1, 'missing', 'object not found')`, [
        jobId,
        shardNo,
      ]);
      await late.query('select public.heartbeat_export_lane($1, $2, $3, $4)', leaseArgs(one));
      await record(two, 1, 1000, 1250);

      const during = await since(jobId, start.cursor);
      expect(shardKeys(during.shards)).toEqual(['2.1@1']);
      expect(during.shards[0]!.problem).toBeNull();
      expect(during.invocations.map((i) => i.id)).toEqual([two.invocation]);
      await late.query('commit');

      const after = await since(jobId, during.cursor);
      expect(after.shards.map((s) => [s.shard_no, s.problem_kind])).toEqual(
        expect.arrayContaining([[shardNo, 'missing']]),
      );
      expect(after.invocations.map((i) => i.id)).toContain(one.invocation);
      let page = asPage(start);
      for (const changes of [during, after]) page = mergeManifestChanges(page, changes);
      expect(sameRows(page)).toEqual(sameRows(asPage(await whole(jobId))));
    } finally {
      late.release();
    }
  });

  it('is refused for a cursor ahead of the database, and for a job of another organisation (404)', async () => {
    const jobId = await newJob();
    const { cursor } = await whole(jobId);
    await expect(since(jobId, (BigInt(cursor) + 1_000_000n).toString())).rejects.toMatchObject({
      code: 'unprocessable',
      message: /ahead of this database's changes.*read the manifest without since/,
    });
    const other = await createTenant(db, 'Curious agency');
    await expect(readExportManifestChanges(other.client, jobId, cursor)).rejects.toMatchObject({ code: 'not_found' });
    await expect(readExportManifest(other.client, jobId)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('costs the changes, not the manifest: an index on the cursor serves each table read since it', async () => {
    const jobId = await newJob();
    const l = await claim(jobId, 1);
    for (let seq = 1; seq <= 40; seq += 1) await record(l, seq, seq === 1 ? null : (seq - 1) * 10, seq * 10);
    await db.query('analyze public.export_shards, public.export_invocations, public.export_shard_attempts');
    const { cursor } = await whole(jobId);
    await record(l, 41, 400, 410);
    // As the page's REST requests run: the member, RLS on. Tiny test tables would be scanned whatever
    // the indexes: the question is whether the cursor's index CAN serve the read.
    const client = await db.connect();
    try {
      await client.query('begin');
      await client.query(
        "select set_config('request.jwt.claims', $1, true), set_config('role', 'authenticated', true)",
        [JSON.stringify({ role: 'authenticated', sub: tenant.userId })],
      );
      await client.query('set local enable_seqscan = off');
      for (const table of ['export_shards', 'export_shard_attempts', 'export_invocations']) {
        const sql = `select * from public.${table} where job_id = $1 and change_xid >= $2`;
        const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `explain (format json) ${sql}`,
          [jobId, cursor],
        );
        const served = nodes(rows[0]!['QUERY PLAN'][0]!.Plan).filter((n) => n['Index Cond']?.includes('change_xid'));
        expect(
          served.map((n) => n['Index Name']),
          table,
        ).toEqual([`${table}_change_idx`]);
        if (table === 'export_shards') expect((await client.query(sql, [jobId, cursor])).rows).toHaveLength(1);
      }
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
