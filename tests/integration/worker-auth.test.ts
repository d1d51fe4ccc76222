import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunctionsHandler } from '../../devstack/functions/handler';
import { loadOrCreateKeys } from '../../devstack/keys';
import { anonClient, mintUserJwt, serviceClient } from './clients';
import {
  clearFaults,
  createSource,
  createTenant,
  readJob,
  seedCollection,
  setFaults,
  superuserPool,
  testFields,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { localContext } from './local-context';
import { testStack } from './stack-info';

/**
 * The export worker as deployed in 2026 (issue 11 item 3, issue 13 item 4): `verify_jwt = false`, so
 * the worker itself lets only the project's secret key in — every other caller is a 401 that writes
 * nothing. Also its `beforeunload` hand-off, and that another organisation's member reads none of the
 * job's rows through REST.
 */
const COLLECTION = 'worker_auth_posts';
const PORTAL = 5151;
const RECORDS = 3_000;

const stack = testStack();
let db: pg.Pool;
let tenant: Tenant;
let stranger: Tenant;
let sourceId: string;

async function queuedJob(): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, mandatory_filter,
                                     fields, format, estimated_rows)
     values ($1, $2, $3, $4, 'hs_object_id', $5, $6, 'csv', $7) returning id`,
    [tenant.organisationId, sourceId, tenant.userId, COLLECTION, `portal_id:=${PORTAL}`, testFields, RECORDS],
  );
  return rows[0]!.id;
}

async function invocationCount(jobId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'select count(*)::int as n from public.export_invocations where job_id = $1',
    [jobId],
  );
  return rows[0]!.n;
}

function invoke(headers: Record<string, string>, jobId: string): Promise<Response> {
  return fetch(`${stack.apiUrl}/functions/v1/export-worker`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ jobId }),
  });
}

beforeAll(async () => {
  db = superuserPool();
  tenant = await createTenant(db, 'Worker Auth Agency');
  stranger = await createTenant(db, 'Stranger Agency');
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL, bodyBytes: 200 });
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
});

afterAll(async () => {
  await db.end();
});

describe('export-worker: who may invoke it', () => {
  it('answers 401 to the publishable key, a user token, no key and forged keys, and writes nothing', async () => {
    const jobId = await queuedJob();
    const keys = await loadOrCreateKeys(stack.dataDir);
    const userToken = await mintUserJwt(tenant.userId);
    const callers: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['the publishable key', { apikey: stack.publishableKey }],
      ['a user token', { apikey: stack.publishableKey, Authorization: `Bearer ${userToken}` }],
      ['a user token alone', { Authorization: `Bearer ${userToken}` }],
      ['a forged secret key', { apikey: `sb_secret_${'x'.repeat(22)}_xxxxxxxx` }],
      ['the secret key in Authorization only', { Authorization: `Bearer ${stack.secretKey}` }],
    ];
    // A 2026 project's legacy service-role key is no secret key (its legacy keys are disabled).
    if (stack.apiKeyMode === 'new') callers.push(['the legacy service-role key', { apikey: keys.serviceRoleKey }]);
    for (const [who, headers] of callers) {
      const res = await invoke(headers, jobId);
      expect(res.status, who).toBe(401);
      expect(await res.json(), who).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    }
    // supabase-js with the publishable key, as a browser would call it.
    const { error } = await anonClient().functions.invoke('export-worker', { body: { jobId } });
    expect(error?.context?.status).toBe(401);

    expect(await invocationCount(jobId)).toBe(0);
    expect((await readJob(jobId)).status).toBe('queued');
  });

  it('accepts the secret key (202) and the job runs to completion', async () => {
    const jobId = await queuedJob();
    const { data, error } = await serviceClient().functions.invoke<{ accepted: boolean }>('export-worker', {
      body: { jobId },
    });
    expect(error).toBeNull();
    expect(data).toEqual({ accepted: true, jobId });
    const job = await waitForJob(jobId, (j) => j.status === 'completed');
    expect(job.rows_written).toBe(RECORDS);
    expect(await invocationCount(jobId)).toBeGreaterThan(0);
  });
});

describe("another organisation's member, straight through REST", () => {
  it('reads none of the shards, shard attempts, invocations or notifications a member reads', async () => {
    const jobId = await queuedJob();
    await serviceClient().functions.invoke('export-worker', { body: { jobId } });
    await waitForJob(jobId, (j) => j.status === 'completed');
    const [shard] = (
      await db.query<Record<string, unknown>>('select * from public.export_shards where job_id = $1 limit 1', [jobId])
    ).rows;
    // A re-run keeps what it replaced as an attempt; one is written here directly.
    await db.query(
      `insert into public.export_shard_attempts (job_id, shard_no, attempt, rows, bytes, sha256, storage_key, invocation_id, written_at)
       values ($1, $2, 0, $3, $4, $5, $6, $7, $8)`,
      [
        jobId,
        shard!.shard_no,
        shard!.rows,
        shard!.bytes,
        shard!.sha256,
        shard!.storage_key,
        shard!.invocation_id,
        shard!.written_at,
      ],
    );
    const tables = ['export_shards', 'export_shard_attempts', 'export_invocations', 'notifications'] as const;
    const read = async (client: SupabaseClient, table: (typeof tables)[number]) => {
      const column = 'job_id';
      const { data, error } = await client.from(table).select(column).eq(column, jobId);
      expect(error, table).toBeNull();
      return data?.length ?? 0;
    };
    for (const table of tables) {
      expect(await read(tenant.client, table), `member reads ${table}`).toBeGreaterThan(0);
      expect(await read(stranger.client, table), `stranger reads ${table}`).toBe(0);
    }
    // Nor does anon (the publishable key alone).
    for (const table of tables) {
      const { data } = await createClient(stack.apiUrl, stack.publishableKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      })
        .from(table)
        .select('job_id')
        .eq('job_id', jobId);
      expect(data ?? [], `anon reads ${table}`).toEqual([]);
    }
  });
});

describe('export-worker: the beforeunload hand-off', () => {
  it('passes the job on in beforeunload when the platform stops an instance at the wall clock', async () => {
    // A Functions service of our own with a 6 s wall clock, behind a proxy that sends every other path
    // to the shared devstack: the worker's REST, Storage and next-copy calls all go through it. The
    // worker's own budgets are far above 6 s and its lease lasts three minutes, so only beforeunload can
    // end an invocation in time to pass the baton. The copy it starts may die with it (the 1 s grace can
    // end before the copy answers); the lease it released at once then lets the next sweep carry on —
    // the sweep runs here every second, as pg_cron does every 10 s. 800 ms a page (a slow source) makes the export's
    // 12 pages outlast several wall clocks.
    const logs: string[] = [];
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ctx = await localContext({
      db,
      apiUrl,
      config: { dataDir: stack.dataDir, functionWallClockMs: 6_000 },
      log: (_service, line) => logs.push(line),
    });
    const functions = createFunctionsHandler(ctx, {
      functionsDirs: [path.resolve(import.meta.dirname, '..', '..', 'supabase', 'functions')],
      configTomlPath: path.resolve(import.meta.dirname, '..', '..', 'supabase', 'config.toml'),
      // The worker believes it has 150 s and plenty of CPU; this platform stops it at 6 s, as an instance
      // stopped early (a deploy, a host shutting down) would be.
      processEnv: {
        BATON_EDGE_WALL_CLOCK_MS: '150000',
        BATON_EDGE_CPU_LIMIT_MS: '60000',
        BATON_WORKER_TIME_BUDGET_MS: '120000',
        BATON_WORKER_CPU_BUDGET_MS: '50000',
        BATON_WORKER_PROGRESS_INTERVAL_MS: '250',
      },
    });
    const upstream = new URL(stack.apiUrl);
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', apiUrl);
      if (url.pathname.startsWith('/functions/v1/')) {
        void functions(req, res, url.pathname.slice('/functions/v1'.length), url);
        return;
      }
      const proxied = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      proxied.on('error', () => res.destroy());
      req.pipe(proxied);
    });
    try {
      // Boot once on the shared stack first, so the npm downloads of a cold DENO_DIR (the same one)
      // do not eat the short wall clock; a body the worker refuses keeps it from working.
      await serviceClient().functions.invoke('export-worker', { body: 'warm-up' });
      await setFaults({ typesense: { latencyMs: 800, match: COLLECTION } });
      const jobId = await queuedJob();
      const secret = createClient(apiUrl, stack.secretKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      const { error } = await secret.functions.invoke('export-worker', { body: { jobId } });
      expect(error, logs.join('\n')).toBeNull();
      const job = await waitForJob(jobId, (j) => j.status === 'completed', { timeoutMs: 60_000, sweep: true }).catch(
        (error: unknown) => {
          throw new Error(`${String(error)}\n${logs.join('\n')}`);
        },
      );
      expect(job.rows_written).toBe(RECORDS);

      // Invocations that got the lease (the sweep's extra kicks while one works are declined).
      const { rows } = await db.query<{ end_reason: string }>(
        `select end_reason from public.export_invocations where job_id = $1 and generation is not null
         order by started_at`,
        [jobId],
      );
      const reasons = rows.map((r) => r.end_reason);
      // Instances were stopped by the platform and handed their lane off in beforeunload: no invocation was
      // left holding its lease until it ran out (a takeover would have marked it `killed`). (Each one ends
      // 'handoff' or, when the next copy took over before its in-flight page was recorded, 'lease_lost'.)
      expect(reasons.length, reasons.join(', ')).toBeGreaterThan(1);
      expect(reasons, reasons.join(', ')).not.toContain('killed');
      expect(reasons.at(-1)).toBe('completed');
      expect(
        logs.some((line) =>
          line.includes(`instance stopping (WallClockTime) while working on ${jobId}/1: handing off`),
        ),
      ).toBe(true);
    } finally {
      await clearFaults();
      await functions.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
