import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEnvLocal } from '../../devstack/env-file';
import { migrate } from '../../devstack/migrate';
import { applyPlatformBase, MIGRATIONS_DIR, projectRoot } from '../../scripts/migrated-database';
import { readSchemaEntries, renderSchemaSnapshot, SCHEMA_FILE } from '../../scripts/schema-snapshot';
import { anonClient } from './clients';
import {
  createSource,
  createTenant,
  seedCollection,
  superuserPool,
  testFields,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { localContext } from './local-context';
import { deliveryStatuses, insertEndpoint, insertJobs, kickUntil, setStatus, startReceiver } from './webhook-fixtures';
import { testStack } from './stack-info';

/**
 * The README's deploy checklist, each step that can run here run against the devstack configured as a
 * new 2026 project: the schema pushed by Supabase's own CLI, the keys the app is configured with, the
 * JWKS a verifier uses, and the hosted sweep (Vault + pg_net), whose stand-ins here record the calls it
 * makes so they can be replayed.
 */
const stack = testStack();
let db: pg.Pool;
let tenant: Tenant;

beforeAll(async () => {
  db = superuserPool();
  tenant = await createTenant(db, 'Deploy Agency');
});

afterAll(async () => {
  await db.end();
});

describe('deploy checklist, exercised on the devstack', () => {
  it('step "configure the app": the keys in .env.local are the publishable (anon) and secret (service_role) keys', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'baton-env-'));
    try {
      const file = path.join(dir, '.env.local');
      const ctx = await localContext({ db, apiUrl: stack.apiUrl });
      await writeEnvLocal(file, ctx);
      const env = Object.fromEntries(
        (await readFile(file, 'utf8'))
          .split('\n')
          .filter((line) => /^[A-Z_]+=/.test(line))
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      );
      expect(env.NEXT_PUBLIC_SUPABASE_URL).toBe(stack.apiUrl);
      expect(env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY).toBe(stack.publishableKey);
      expect(env.SUPABASE_SECRET_KEY).toBe(stack.secretKey);
      if (stack.apiKeyMode === 'new') {
        expect(env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY).toMatch(/^sb_publishable_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{8}$/);
        expect(env.SUPABASE_SECRET_KEY).toMatch(/^sb_secret_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{8}$/);
      }
      const options = { auth: { persistSession: false, autoRefreshToken: false } };
      const browser = createClient(stack.apiUrl, env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY!, options);
      const server = createClient(stack.apiUrl, env.SUPABASE_SECRET_KEY!, options);
      // anon sees no organisation; the secret key (service_role) sees every one.
      expect((await browser.from('export_jobs').select('id').limit(1)).data ?? []).toEqual([]);
      const all = await server.from('organisations').select('id').eq('id', tenant.organisationId);
      expect(all.data).toEqual([{ id: tenant.organisationId }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('step "verify tokens elsewhere": a session token verifies against the keyless JWKS, as jose does for @supabase/server', async () => {
    if (stack.apiKeyMode === 'legacy') return; // a legacy project signs with its secret: no JWKS
    const jwks = createRemoteJWKSet(new URL(`${stack.apiUrl}/auth/v1/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(tenant.accessToken, jwks);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: tenant.userId, role: 'authenticated', aud: 'authenticated' });
    // And supabase-js's own check.
    const { data, error } = await anonClient().auth.getClaims(tenant.accessToken);
    expect(error).toBeNull();
    expect(data?.claims.sub).toBe(tenant.userId);
  });

  it('step "schedule the sweep": it calls the worker with the Vault secret key in apikey, and that call starts the job', async () => {
    const collection = 'deploy_sweep_posts';
    await seedCollection(collection, 500, { portalId: 77, bodyBytes: 100 });
    const sourceId = await createSource(db, tenant.organisationId, collection, 'portal_id:=77');
    // A job the API's own kick never started, queued for longer than the sweep's 5 s grace.
    const { rows } = await db.query<{ id: string }>(
      `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, mandatory_filter,
                                       fields, format, estimated_rows, created_at, updated_at)
       values ($1, $2, $3, $4, 'hs_object_id', 'portal_id:=77', $5, 'csv', 500, now() - interval '1 minute',
               now() - interval '1 minute') returning id`,
      [tenant.organisationId, sourceId, tenant.userId, collection, testFields],
    );
    const jobId = rows[0]!.id;
    // Its one lane (made by the insert trigger) was due long ago too.
    await db.query(`update public.export_lanes set kick_at = now() - interval '1 minute' where job_id = $1`, [jobId]);

    // Vault and pg_net as the hosted database has them, reduced to what the sweep uses; pg_net's
    // requests are recorded instead of sent. All of it is rolled back.
    const client = await db.connect();
    let calls: Array<{ url: string; headers: Record<string, string>; body: Record<string, unknown> }>;
    try {
      await client.query('begin');
      await client.query(`
        create schema vault;
        create table vault.decrypted_secrets (name text primary key, decrypted_secret text not null);
        create schema net;
        create table net.calls (url text, headers jsonb, body jsonb);
        create function net.http_post(url text, headers jsonb, body jsonb) returns bigint
        language sql as $$ insert into net.calls values (url, headers, body); select 1::bigint $$;
      `);
      await client.query(
        `insert into vault.decrypted_secrets values ('baton_project_url', $1), ('baton_secret_key', $2)`,
        [stack.apiUrl, stack.secretKey],
      );
      const kicked = await client.query<{ n: number }>('select private.kick_export_workers() as n');
      expect(kicked.rows[0]!.n).toBeGreaterThanOrEqual(1);
      calls = (await client.query<(typeof calls)[number]>('select url, headers, body from net.calls')).rows;
    } finally {
      await client.query('rollback');
      client.release();
    }
    const call = calls.find((c) => c.body.jobId === jobId);
    expect(call).toEqual({
      url: `${stack.apiUrl}/functions/v1/export-worker`,
      headers: { 'Content-Type': 'application/json', apikey: stack.secretKey },
      body: { jobId, lane: 1 },
    });
    // What pg_net then does: the worker accepts it and the job runs.
    const res = await fetch(call!.url, { method: 'POST', headers: call!.headers, body: JSON.stringify(call!.body) });
    expect(res.status).toBe(202);
    expect((await waitForJob(jobId, (job) => job.status === 'completed')).rows_written).toBe(500);
  });
});

describe('deploy checklist: webhooks', () => {
  it('config.toml deploys webhook-deliveries with the shared import map and no platform JWT gate', async () => {
    const config = parseToml(await readFile(path.join(projectRoot, 'supabase', 'config.toml'), 'utf8')) as {
      functions: Record<string, { verify_jwt: boolean; import_map: string; entrypoint: string }>;
    };
    const fn = config.functions['webhook-deliveries']!;
    expect(fn).toMatchObject({ verify_jwt: false, import_map: './functions/deno.json' });
    await expect(readFile(path.join(projectRoot, 'supabase', fn.entrypoint), 'utf8')).resolves.toContain('Deno.serve');
  });

  it('step "schedule the sweep": a queued event kicks webhook-deliveries through pg_net, and that call delivers it', async () => {
    const hooks = await startReceiver();
    try {
      const endpoint = await insertEndpoint(db, tenant, hooks.url, ['export.started']);
      const [jobId] = await insertJobs(db, tenant, 1);
      // Vault and pg_net as the hosted database has them (see the export sweep's step): the trigger's
      // kick and the pg_cron sweep's are recorded, and rolled back with the event.
      const client = await db.connect();
      let calls: Array<{ url: string; headers: Record<string, string> }>;
      try {
        await client.query('begin');
        await client.query(`
          create schema vault;
          create table vault.decrypted_secrets (name text primary key, decrypted_secret text not null);
          create schema net;
          create table net.calls (url text, headers jsonb, body jsonb);
          create function net.http_post(url text, headers jsonb, body jsonb) returns bigint
          language sql as $$ insert into net.calls values (url, headers, body); select 1::bigint $$;
        `);
        await client.query(
          `insert into vault.decrypted_secrets values ('baton_project_url', $1), ('baton_secret_key', $2)`,
          [stack.apiUrl, stack.secretKey],
        );
        await client.query(`update public.export_jobs set status = 'running' where id = $1`, [jobId]);
        await client.query('select private.sweep_webhook_deliveries()');
        calls = (await client.query<(typeof calls)[number]>('select url, headers from net.calls')).rows;
      } finally {
        await client.query('rollback');
        client.release();
      }
      const expected = {
        url: `${stack.apiUrl}/functions/v1/webhook-deliveries`,
        headers: { 'Content-Type': 'application/json', apikey: stack.secretKey },
      };
      expect(calls).toEqual([expected, expected]);
      // What pg_net then does, for an event queued for real: the function accepts it and delivers.
      await setStatus(db, [jobId!], 'running');
      await db.query(`update public.webhook_deliveries set next_attempt_at = now() where endpoint_id = $1`, [
        endpoint.id,
      ]);
      const res = await fetch(expected.url, { method: 'POST', headers: expected.headers, body: '{}' });
      expect(res.status).toBe(202);
      await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 1);
      expect(hooks.received[0]!.headers['webhook-id']).toMatch(/^msg_/);
    } finally {
      await db.query('delete from public.webhook_endpoints where organisation_id = $1', [tenant.organisationId]);
      await hooks.close();
    }
  });
});

/**
 * Step "push the schema" as a deployer runs it: the Supabase CLI (npm `supabase`, pinned) pushes
 * `supabase/migrations` to a database that has only what a new hosted project has before its first
 * migration (the devstack's platform base and storage schema, no Baton migration). Its `db push`,
 * `migration list` and `inspect db` need no Docker; `--db-url` stands for `supabase link` + the project's
 * password. What it leaves must be `supabase/schema.sql` — the schema the devstack runs (the
 * database-types test holds that file to the devstack's own migrate).
 */
describe('step "push the schema" with the Supabase CLI', () => {
  const name = `cli_push_${process.pid}`;
  const admin = new pg.Pool({ connectionString: stack.pgConnectionString, max: 1 });
  const url = new URL(stack.pgConnectionString);
  url.pathname = `/${name}`;
  const fresh = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // `drop database … with (force)` may still find a backend of this pool closing down (57P01): our clean-up.
  fresh.on('error', (error: Error & { code?: string }) => {
    if (error.code !== '57P01') throw error;
  });
  // The embedded Postgres has no TLS; the CLI's driver must not ask for it.
  const dbUrl = `${url.toString()}?sslmode=disable`;

  let home: string;
  let base: Awaited<ReturnType<typeof readSchemaEntries>>;
  let files: Array<{ version: string; name: string; file: string }>;

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'baton-supabase-home-'));
    files = (await readdir(MIGRATIONS_DIR))
      .map((file) => ({ file, match: /^(\d+)_(.+)\.sql$/.exec(file) }))
      .filter((f) => f.match !== null)
      .map((f) => ({ file: f.file, version: f.match![1]!, name: f.match![2]! }))
      .sort((a, b) => a.version.localeCompare(b.version));
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
    // A new project: the platform's base only, read before the push as `npm run db:schema` does.
    await applyPlatformBase(fresh);
    base = await readSchemaEntries(fresh);
  });

  afterAll(async () => {
    await fresh.end();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await rm(home, { recursive: true, force: true });
  });

  /**
   * `supabase <args>` from the project root, as `npx supabase` runs it, its output as JSON. Offline:
   * no telemetry, no update check (which would also write `supabase/.temp/`), its state in a temporary
   * SUPABASE_HOME instead of ~/.supabase. Fails with the CLI's stderr after 60 s at most.
   */
  function supabase<T>(args: string[]): Promise<T> {
    const cli = path.join(projectRoot, 'node_modules', 'supabase', 'dist', 'supabase.js');
    // Node leaves out a variable whose value is undefined.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: process.env.NODE_ENV,
      SUPABASE_HOME: home,
      SUPABASE_TELEMETRY_DISABLED: '1',
      DO_NOT_TRACK: '1',
      SUPABASE_NO_UPDATE_NOTIFIER: '1',
    };
    const argv = [cli, ...args, '--workdir', projectRoot, '--output-format', 'json'];
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        argv,
        { cwd: projectRoot, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const said = `\n--- stderr\n${stderr}\n--- stdout\n${stdout}`;
          if (error) {
            const how = error.killed ? 'timed out after 60 s' : `exited with ${error.code ?? error.signal}`;
            reject(new Error(`supabase ${args.join(' ')} ${how}${said}`));
            return;
          }
          try {
            resolve(JSON.parse(stdout) as T);
          } catch {
            reject(new Error(`supabase ${args.join(' ')} printed no JSON${said}`));
          }
        },
      );
    });
  }

  type Push = { upToDate: boolean; dryRun: boolean; migrations: string[] };

  it('`supabase db push --db-url` applies every migration, and `supabase migration list` shows each on the remote', async () => {
    const pushed = await supabase<Push>(['db', 'push', '--db-url', dbUrl, '--yes']);
    expect(pushed).toMatchObject({ upToDate: false, dryRun: false, migrations: files.map((f) => f.file) });

    const listed = await supabase<{ migrations: Array<{ local: string; remote: string }> }>([
      'migration',
      'list',
      '--db-url',
      dbUrl,
    ]);
    expect(listed.migrations.map(({ local, remote }) => ({ local, remote }))).toEqual(
      files.map((f) => ({ local: f.version, remote: f.version })),
    );
    // The CLI records them where the devstack's migrate does, in the base's table, under the same names.
    const recorded = await fresh.query<{ version: string; name: string }>(
      'select version, name from supabase_migrations.schema_migrations order by version',
    );
    expect(recorded.rows).toEqual(files.map(({ version, name }) => ({ version, name })));
  });

  it('leaves supabase/schema.sql on the platform base: what the CLI deploys is what the devstack runs', async () => {
    const snapshot = renderSchemaSnapshot(base, await readSchemaEntries(fresh));
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    const message =
      'the schema `supabase db push` left differs from supabase/schema.sql (if database-types.test.ts fails ' +
      'too, the file is stale: `npm run db:schema`)';
    expect(snapshot, message).toBe(committed);
  });

  it('is idempotent: a second push applies nothing, nor does the devstack migrate on what the CLI pushed', async () => {
    const again = await supabase<Push>(['db', 'push', '--db-url', dbUrl, '--yes']);
    expect(again).toMatchObject({ upToDate: true, migrations: [] });
    await expect(migrate(fresh, MIGRATIONS_DIR)).resolves.toEqual([]);
    const count = await fresh.query<{ n: number }>(
      'select count(*)::int as n from supabase_migrations.schema_migrations',
    );
    expect(count.rows[0]!.n).toBe(files.length);
  });

  it('`supabase inspect db table-stats --db-url` reads the deployed tables (what support runs on a project)', async () => {
    const stats = await supabase<{ rows: Array<{ name: string }> }>([
      'inspect',
      'db',
      'table-stats',
      '--db-url',
      dbUrl,
    ]);
    expect(stats.rows.map((r) => r.name)).toEqual(
      expect.arrayContaining(['public.export_jobs', 'public.export_shards']),
    );
  });
});
