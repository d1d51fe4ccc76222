import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEnvLocal } from '../../devstack/env-file';
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
import { testStack } from './stack-info';

/**
 * The README's deploy checklist, each step that can run here run against the devstack configured as a
 * new 2026 project: the keys the app is configured with, the JWKS a verifier uses, and the hosted sweep
 * (Vault + pg_net), whose stand-ins here record the calls it makes so they can be replayed.
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
