import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from '@supabase/supabase-js';
import { decodeProtectedHeader } from 'jose';
import Typesense from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectApiKeys } from '../../devstack/context';
import { createUser } from '../../devstack/auth/handler';
import { freePort } from '../../devstack/free-port';
import { projectRoot, startDevstack, type Devstack } from '../../devstack/stack';
import { startExport } from '../../lib/exports/start-export';
import { typesenseAccess } from '../../lib/typesense/client';
import type { Database } from '../../supabase/functions/_shared/database.types.ts';
import { testFields, testRecord, waitForJob } from './export-fixtures';

/**
 * A project that still uses its legacy JWT keys (`DEVSTACK_API_KEYS=legacy`), end to end: a devstack of
 * its own hands out the anon and service-role JWTs, signs user tokens with the legacy secret (HS256, no
 * kid), and the app's code, the worker and Realtime work with them as they do with the new keys.
 */
let devstack: Devstack;
let keys: { publishable: string; secret: string };
let apiUrl: string;
const dataDir = path.join(projectRoot, '.devstack', `legacy-${process.pid}`);
const email = `legacy-${randomUUID().slice(0, 8)}@example.test`;
const password = 'legacy-password';
const options = { auth: { persistSession: false, autoRefreshToken: false } };

beforeAll(async () => {
  devstack = await startDevstack({
    reset: true,
    quiet: true,
    config: {
      dataDir,
      pgPort: await freePort(),
      apiPort: 0,
      typesensePort: 0,
      sweepIntervalMs: 3_600_000,
      demoBlogPosts: 0,
      apiKeyMode: 'legacy',
      realtimeErrorBackoffMs: 0,
      realtimeConnectErrorBackoffMs: 0,
    },
  });
  keys = projectApiKeys(devstack.context);
  apiUrl = devstack.context.apiUrl;
});

afterAll(async () => {
  await devstack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a project on legacy JWT keys', () => {
  it('hands out the anon and service-role JWTs, and refuses the new kinds of key it does not have', async () => {
    for (const key of [keys.publishable, keys.secret])
      expect(decodeProtectedHeader(key)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const anon = await fetch(`${apiUrl}/rest/v1/organisations`, { headers: { apikey: keys.publishable } });
    expect(anon.status).toBe(401); // anon has no grant on it: Postgres refused, not the gateway
    expect(await anon.json()).toMatchObject({ code: '42501' });
    const service = await fetch(`${apiUrl}/rest/v1/organisations`, { headers: { apikey: keys.secret } });
    expect(service.status).toBe(200);
    const sbKey = await fetch(`${apiUrl}/rest/v1/organisations`, {
      headers: { apikey: devstack.context.keys.secretKey },
    });
    expect(sbKey.status).toBe(401);
    expect(await (await fetch(`${apiUrl}/auth/v1/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
  });

  it('signs HS256 user tokens that getClaims() verifies through GET /user, and Realtime authorises with them', async () => {
    const { id: userId } = await createUser(devstack.context.db, { email, password });
    const client = createClient(apiUrl, keys.publishable, options);
    const { data, error } = await client.auth.signInWithPassword({ email, password });
    expect(error).toBeNull();
    expect(decodeProtectedHeader(data.session!.access_token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = await client.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.sub).toBe(userId);

    const topic = `user:${userId}:notifications`;
    const token = data.session!.access_token;
    const realtime = createClient(apiUrl, keys.publishable, { accessToken: async () => token });
    await realtime.realtime.setAuth();
    try {
      const received = new Promise<unknown>((resolve, reject) => {
        realtime
          .channel(topic, { config: { private: true } })
          .on('broadcast', { event: 'ping' }, (message: { payload: unknown }) => resolve(message.payload))
          .subscribe((status, err) => {
            if (status === 'SUBSCRIBED') {
              void devstack.context.db.query(`select realtime.send('{"n":1}', 'ping', $1)`, [topic]);
            } else if (status === 'CHANNEL_ERROR') reject(err ?? new Error(status));
          });
      });
      expect(await received).toMatchObject({ n: 1 });
    } finally {
      await realtime.removeAllChannels();
    }
  });

  it('runs an export through the app and the worker with the service-role key; the anon key may not invoke it', async () => {
    const db = devstack.context.db;
    const { rows: orgs } = await db.query<{ id: string }>(
      `insert into public.organisations (name) values ('Legacy Agency') returning id`,
    );
    const organisationId = orgs[0]!.id;
    const { rows: users } = await db.query<{ id: string }>('select id from auth.users where email = $1', [email]);
    const userId = users[0]!.id;
    await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [
      organisationId,
      userId,
    ]);
    const { rows: sources } = await db.query<{ id: string }>(
      `insert into public.export_sources (organisation_id, collection, label, mandatory_filter)
       values ($1, 'legacy_posts', 'Legacy posts', 'portal_id:=9') returning id`,
      [organisationId],
    );
    const typesenseUrl = new URL(devstack.context.typesenseUrl);
    const typesense = new Typesense.Client({
      nodes: [{ host: typesenseUrl.hostname, port: Number(typesenseUrl.port), protocol: 'http' }],
      apiKey: devstack.context.config.typesenseApiKey,
      logLevel: 'silent',
    });
    await typesense.collections().create({
      name: 'legacy_posts',
      fields: [
        { name: 'hs_object_id', type: 'int64' },
        { name: 'portal_id', type: 'int64' },
        { name: 'title', type: 'string' },
        { name: 'state', type: 'string' },
        { name: 'tags', type: 'string[]' },
        { name: 'archived', type: 'bool' },
        { name: 'updated_at', type: 'int64' },
        { name: 'meta_description', type: 'string', optional: true },
        { name: 'body', type: 'string', index: false, optional: true },
      ],
      default_sorting_field: 'hs_object_id',
    });
    await typesense
      .collections('legacy_posts')
      .documents()
      .import(
        Array.from({ length: 600 }, (_, i) => testRecord(i, 9, 100)),
        { action: 'create' },
      );

    const user = createClient<Database>(apiUrl, keys.publishable, options);
    await user.auth.signInWithPassword({ email, password });
    const admin = createClient<Database>(apiUrl, keys.secret, options);
    const refused = await createClient(apiUrl, keys.publishable, options).functions.invoke('export-worker', {
      body: { jobId: randomUUID() },
    });
    expect(refused.error?.context?.status).toBe(401);

    const appTypesense = typesenseAccess({
      url: devstack.context.typesenseUrl,
      apiKey: devstack.context.config.typesenseApiKey,
      searchKey: devstack.context.config.typesenseSearchKey,
    });
    const job = await startExport(
      { user: { supabase: user, userId }, admin, typesense: appTypesense },
      { sourceId: sources[0]!.id, format: 'csv', fields: testFields },
    );
    const finished = await waitForJob(job.id, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), {
      timeoutMs: 60_000,
      admin,
    });
    expect(finished).toMatchObject({ status: 'completed', rows_written: 600 });
  });
});
