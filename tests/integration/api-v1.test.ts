import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiToken } from '../../lib/api-tokens/create-api-token';
import { listApiTokens } from '../../lib/api-tokens/list-api-tokens';
import { revokeApiToken } from '../../lib/api-tokens/revoke-api-token';
import type { ApiTokenScope } from '../../lib/api-v1/api-token-scopes';
import { downloadExport } from '../../lib/download/download-export';
import type { TypedSupabaseClient } from '../../lib/supabase/typed-client';
import { serviceClient } from './clients';
import { createSource, createTenant, seedCollection, superuserPool, waitForJob, type Tenant } from './export-fixtures';
import { testStack } from './stack-info';

// Route modules guard against browser bundles with `server-only`, which throws outside Next.js's server.
vi.mock('server-only', () => ({}));

/**
 * The REST API v1 through its route handlers, against the devstack (real Postgres, worker, storage):
 * token scopes, revocation, expiry, idempotency keys, rate limits, the problem+json error shape, the
 * dashboard's download, and isolation between organisations. Exports are tiny (one shard).
 */
const COLLECTION = 'api_v1_posts';
const PORTAL = 2525;

type Handler<Ctx> = (request: Request, ctx: Ctx) => Promise<Response>;
type IdCtx = { params: Promise<{ id: string }> };
type Routes = {
  exports: { POST: Handler<unknown>; GET: Handler<unknown> };
  exportById: { GET: Handler<IdCtx> };
  cancel: { POST: Handler<IdCtx> };
  retry: { POST: Handler<IdCtx> };
  events: { GET: Handler<IdCtx> };
  download: Handler<{ id: string }>;
};

let db: pg.Pool;
let routes: Routes;
let agency: Tenant;
let rival: Tenant;
let sourceId: string;
let rivalSourceId: string;
/** A completed export of the agency, started through the API. */
let completedId: string;

async function makeAdmin(tenant: Tenant) {
  await db.query(`update public.memberships set role = 'admin' where user_id = $1`, [tenant.userId]);
}

async function token(
  tenant: Tenant,
  scopes: ApiTokenScope[],
  name = 'pipeline',
): Promise<{ secret: string; id: string }> {
  const { token, secret } = await createApiToken(tenant.client as TypedSupabaseClient, {
    organisationId: tenant.organisationId,
    name,
    scopes,
    expiresInDays: 30,
  });
  return { secret, id: token.id };
}

function request(
  path: string,
  options: { secret?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Request {
  const headers = new Headers(options.headers);
  if (options.secret) headers.set('authorization', `Bearer ${options.secret}`);
  if (options.body !== undefined) headers.set('content-type', 'application/json');
  return new Request(`http://localhost${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

const idCtx = (id: string): IdCtx => ({ params: Promise.resolve({ id }) });

async function expectProblem(response: Response, status: number, code: string): Promise<{ detail: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `/docs/api#problem-${code}`, status, code });
  expect(typeof body.title).toBe('string');
  // A sentence a person can act on, not a bare code.
  expect(body.detail).toMatch(/^\S.{20,}[.)]$/s);
  return body as { detail: string };
}

async function createExport(secret: string, body: unknown = { sourceId, format: 'csv' }, key?: string) {
  return routes.exports.POST(
    request('/api/v1/exports', { secret, body, headers: key ? { 'idempotency-key': key } : {} }),
    {},
  );
}

beforeAll(async () => {
  const stack = testStack();
  vi.stubEnv('NEXT_PUBLIC_SUPABASE_URL', stack.apiUrl);
  vi.stubEnv('NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY', stack.publishableKey);
  vi.stubEnv('SUPABASE_SECRET_KEY', stack.secretKey);
  vi.stubEnv('TYPESENSE_URL', stack.typesenseUrl);
  vi.stubEnv('TYPESENSE_API_KEY', stack.typesenseApiKey);
  vi.stubEnv('TYPESENSE_SEARCH_KEY', stack.typesenseSearchKey);
  routes = {
    exports: await import('@/app/api/v1/exports/route'),
    exportById: await import('@/app/api/v1/exports/[id]/route'),
    cancel: await import('@/app/api/v1/exports/[id]/cancel/route'),
    retry: await import('@/app/api/v1/exports/[id]/retry/route'),
    events: await import('@/app/api/v1/exports/[id]/events/route'),
    download: (await import('@/lib/api-v1/download-route')).downloadExportRoute,
  };
  db = superuserPool();
  await seedCollection(COLLECTION, 40, { portalId: PORTAL, bodyBytes: 50 });
  agency = await createTenant(db, 'API agency');
  rival = await createTenant(db, 'API rival');
  await makeAdmin(agency);
  await makeAdmin(rival);
  sourceId = await createSource(db, agency.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
  rivalSourceId = await createSource(db, rival.organisationId, COLLECTION, `portal_id:=${PORTAL}`);

  const writer = await token(agency, ['exports:write']);
  const created = await createExport(writer.secret);
  expect(created.status).toBe(201);
  completedId = ((await created.json()) as { id: string }).id;
  await waitForJob(completedId, (job) => job.status === 'completed', { sweep: true });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await db.end();
});

describe('errors are problem+json with a sentence to act on', () => {
  it('no token, a malformed token and an unknown token are 401s that say what to send', async () => {
    const none = await expectProblem(await routes.exports.GET(request('/api/v1/exports'), {}), 401, 'unauthenticated');
    expect(none.detail).toContain('Authorization: Bearer baton_pat_');
    const session = await expectProblem(
      await routes.exports.GET(request('/api/v1/exports', { secret: agency.accessToken }), {}),
      401,
      'unauthenticated',
    );
    expect(session.detail).toContain('not a Baton API token');
    const unknown = await expectProblem(
      await routes.exports.GET(request('/api/v1/exports', { secret: `baton_pat_${'A'.repeat(32)}` }), {}),
      401,
      'unauthenticated',
    );
    expect(unknown.detail).toContain('not known');
  });

  it('a body that fails validation lists every invalid field', async () => {
    const writer = await token(agency, ['exports:write']);
    const response = await createExport(writer.secret, { sourceId: 'nope', format: 'xlsx' });
    await expectProblem(response.clone(), 422, 'validation_failed');
    const body = (await response.json()) as { errors: Array<{ path: string }> };
    expect(body.errors.map((e) => e.path).sort()).toEqual(['format', 'sourceId']);
  });

  it('a body sent as a form is a 415 naming the header to send', async () => {
    const writer = await token(agency, ['exports:write']);
    const response = await routes.exports.POST(
      new Request('http://localhost/api/v1/exports', {
        method: 'POST',
        headers: { authorization: `Bearer ${writer.secret}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'format=csv',
      }),
      {},
    );
    const problem = await expectProblem(response, 415, 'unsupported_media_type');
    expect(problem.detail).toContain('Content-Type: application/json');
  });
});

describe('a token has exactly its scopes', () => {
  it('exports:read alone reads exports and events, and may neither start one nor download', async () => {
    const { secret } = await token(agency, ['exports:read']);
    expect((await routes.exports.GET(request('/api/v1/exports', { secret }), {})).status).toBe(200);
    expect(
      (await routes.exportById.GET(request(`/api/v1/exports/${completedId}`, { secret }), idCtx(completedId))).status,
    ).toBe(200);
    expect(
      (await routes.events.GET(request(`/api/v1/exports/${completedId}/events`, { secret }), idCtx(completedId)))
        .status,
    ).toBe(200);
    const refused = await expectProblem(await createExport(secret), 403, 'forbidden');
    expect(refused.detail).toContain('"exports:write"');
    await expectProblem(
      await routes.download(request(`/api/v1/exports/${completedId}/download`, { secret }), { id: completedId }),
      403,
      'forbidden',
    );
  });

  it('exports:write alone starts, cancels and retries exports, and may not read or download', async () => {
    const { secret } = await token(agency, ['exports:write']);
    const created = await createExport(secret);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect([200, 202]).toContain(
      (await routes.cancel.POST(request(`/api/v1/exports/${id}/cancel`, { secret, method: 'POST' }), idCtx(id))).status,
    );
    const retried = await routes.retry.POST(
      request(`/api/v1/exports/${completedId}/retry`, { secret, body: { dryRun: true } }),
      idCtx(completedId),
    );
    // A completed export with every shard in place has nothing to re-run: the scope let the request through.
    await expectProblem(retried, 422, 'unprocessable');
    await expectProblem(await routes.exports.GET(request('/api/v1/exports', { secret }), {}), 403, 'forbidden');
    await expectProblem(
      await routes.download(request(`/api/v1/exports/${completedId}/download`, { secret }), { id: completedId }),
      403,
      'forbidden',
    );
  });

  it('downloads alone downloads the file the dashboard serves, and may not read or change exports', async () => {
    const { secret } = await token(agency, ['downloads']);
    const response = await routes.download(request(`/api/v1/exports/${completedId}/download`, { secret }), {
      id: completedId,
    });
    expect(response.status).toBe(200);
    const viaApi = new Uint8Array(await response.arrayBuffer());
    const viaDashboard = await downloadExport(
      {
        user: { supabase: agency.client as TypedSupabaseClient, userId: agency.userId },
        admin: serviceClient() as TypedSupabaseClient,
      },
      completedId,
      new Request('http://localhost/'),
    );
    expect(viaApi).toEqual(new Uint8Array(await viaDashboard.arrayBuffer()));
    expect(response.headers.get('etag')).toBe(viaDashboard.headers.get('etag'));
    expect(Number(response.headers.get('content-length'))).toBe(viaApi.byteLength);
    await expectProblem(await routes.exports.GET(request('/api/v1/exports', { secret }), {}), 403, 'forbidden');
    await expectProblem(await createExport(secret), 403, 'forbidden');
  });
});

describe('the download resumes as the dashboard’s does', () => {
  it('serves ranges with the ETag, whole files for a stale If-Range, problem+json for a range outside the file', async () => {
    const { secret } = await token(agency, ['downloads', 'exports:read']);
    const path = `/api/v1/exports/${completedId}/download`;
    const whole = await routes.download(request(path, { secret }), { id: completedId });
    const bytes = new Uint8Array(await whole.arrayBuffer());
    const etag = whole.headers.get('etag')!;
    const part = await routes.download(request(path, { secret, headers: { range: 'bytes=10-', 'if-range': etag } }), {
      id: completedId,
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-${bytes.length - 1}/${bytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(bytes.slice(10));
    const stale = await routes.download(
      request(path, { secret, headers: { range: 'bytes=10-', 'if-range': '"another-version"' } }),
      { id: completedId },
    );
    expect(stale.status).toBe(200);
    await stale.body?.cancel();
    const gzip = await routes.download(request(`${path}?form=gzip`, { secret }), { id: completedId });
    expect(gzip.headers.get('content-type')).toBe('application/gzip');
    await gzip.body?.cancel();
    const outside = await routes.download(request(path, { secret, headers: { range: `bytes=${bytes.length}-` } }), {
      id: completedId,
    });
    await expectProblem(outside, 416, 'range_not_satisfiable');
    const events = await routes.events.GET(
      request(`${path.replace('/download', '/events')}`, { secret }),
      idCtx(completedId),
    );
    const { data } = (await events.json()) as {
      data: Array<{ kind: string; byPerson: boolean; detail: { apiTokenId?: string } }>;
    };
    const downloads = data.filter((e) => e.kind === 'downloaded');
    // The dashboard's download of the same export (above) is a person's; the token's name no person.
    const byToken = downloads.filter((e) => typeof e.detail.apiTokenId === 'string');
    expect(byToken.length).toBeGreaterThan(0);
    expect(byToken.every((e) => !e.byPerson)).toBe(true);
  });
});

describe('a token stops working the moment it is revoked or expires', () => {
  it('revoked: the very next request is a 401 naming the token', async () => {
    const { secret, id } = await token(agency, ['exports:read'], 'nightly backup');
    expect((await routes.exports.GET(request('/api/v1/exports', { secret }), {})).status).toBe(200);
    await revokeApiToken(agency.client as TypedSupabaseClient, id);
    const problem = await expectProblem(
      await routes.exports.GET(request('/api/v1/exports', { secret }), {}),
      401,
      'unauthenticated',
    );
    expect(problem.detail).toContain('"nightly backup" was revoked');
  });

  it('expired: a 401 saying so', async () => {
    const { secret, id } = await token(agency, ['exports:read'], 'old script');
    await db.query(
      `update public.api_tokens set created_at = now() - interval '2 days', expires_at = now() - interval '1 second' where id = $1`,
      [id],
    );
    const problem = await expectProblem(
      await routes.exports.GET(request('/api/v1/exports', { secret }), {}),
      401,
      'unauthenticated',
    );
    expect(problem.detail).toContain('"old script" expired');
  });

  it('records when a token was last used', async () => {
    const { secret, id } = await token(agency, ['exports:read']);
    const before = await db.query<{ last_used_at: Date | null }>(
      'select last_used_at from public.api_tokens where id = $1',
      [id],
    );
    expect(before.rows[0]!.last_used_at).toBeNull();
    await routes.exports.GET(request('/api/v1/exports', { secret }), {});
    const after = await db.query<{ last_used_at: Date | null }>(
      'select last_used_at from public.api_tokens where id = $1',
      [id],
    );
    expect(after.rows[0]!.last_used_at).not.toBeNull();
  });

  it('only an admin of the organisation creates or revokes its tokens', async () => {
    const member = await createTenant(db, 'API members only');
    await expect(
      createApiToken(member.client as TypedSupabaseClient, {
        organisationId: member.organisationId,
        name: 'x',
        scopes: ['exports:read'],
        expiresInDays: 1,
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    const { id } = await token(agency, ['exports:read']);
    await expect(revokeApiToken(rival.client as TypedSupabaseClient, id)).rejects.toMatchObject({ code: 'forbidden' });
    // Admins list their own organisation's tokens, without any hash; nobody reads a hash, not even an admin.
    const listed = await listApiTokens(agency.client as TypedSupabaseClient);
    expect(listed.map((t) => t.id)).toContain(id);
    expect(listed.every((t) => t.organisation_id === agency.organisationId && !('token_hash' in t))).toBe(true);
    expect(await listApiTokens(member.client as TypedSupabaseClient)).toEqual([]);
    const { error } = await agency.client.from('api_tokens').select('token_hash');
    expect(error).not.toBeNull();
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body answer the same export; another body is a 409; the order of keys does not matter', async () => {
    const { secret } = await token(agency, ['exports:write']);
    const key = `nightly-${Date.now()}`;
    const first = await createExport(secret, { sourceId, format: 'ndjson', fields: ['title'] }, key);
    expect(first.status).toBe(201);
    const { id } = (await first.json()) as { id: string };
    const again = await createExport(secret, { fields: ['title'], format: 'ndjson', sourceId }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(id);
    const other = await expectProblem(await createExport(secret, { sourceId, format: 'csv' }, key), 409, 'conflict');
    expect(other.detail).toContain('different request body');
    const { rows } = await db.query(
      "select 1 from public.export_jobs where organisation_id = $1 and format = $2 and created_at > now() - interval '1 minute'",
      [agency.organisationId, 'ndjson'],
    );
    expect(rows).toHaveLength(1);
  });

  it('a request that fails releases its key, and keys are per organisation', async () => {
    const { secret } = await token(agency, ['exports:write']);
    const key = `retry-me-${Date.now()}`;
    await expectProblem(
      await createExport(secret, { sourceId, format: 'csv', fields: ['no_such_field'] }, key),
      422,
      'unprocessable',
    );
    expect((await createExport(secret, { sourceId, format: 'csv' }, key)).status).toBe(201);
    const rivalToken = await token(rival, ['exports:write']);
    expect((await createExport(rivalToken.secret, { sourceId: rivalSourceId, format: 'csv' }, key)).status).toBe(201);
  });
});

describe('rate limits per token', () => {
  it('answers 429 with Retry-After once a token is over its limit, while another token goes on', async () => {
    const limited = await token(agency, ['exports:read']);
    const other = await token(agency, ['exports:read']);
    await db.query('update public.api_tokens set rate_limit_per_minute = 3 where id = $1', [limited.id]);
    // 7 requests: even if a minute boundary falls between two of them, one window holds 4.
    const statuses: Response[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(await routes.exports.GET(request('/api/v1/exports?limit=1', { secret: limited.secret }), {}));
    const refused = statuses.find((r) => r.status === 429);
    expect(refused).toBeDefined();
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const problem = await expectProblem(refused!, 429, 'too_many_requests');
    expect(problem.detail).toContain('3 requests a minute');
    expect((await routes.exports.GET(request('/api/v1/exports?limit=1', { secret: other.secret }), {})).status).toBe(
      200,
    );
  });
});

describe('listing', () => {
  it('pages with a cursor and filters by status and creation time', async () => {
    const writer = await token(agency, ['exports:write']);
    for (let i = 0; i < 3; i++) expect((await createExport(writer.secret)).status).toBe(201);
    const { secret } = await token(agency, ['exports:read']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await routes.exports.GET(
        request(`/api/v1/exports?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { secret }),
        {},
      );
      expect(response.status).toBe(200);
      const page = (await response.json()) as { data: Array<{ id: string }>; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    const { rows } = await db.query<{ id: string }>(
      'select id from public.export_jobs where organisation_id = $1 order by created_at desc, id desc',
      [agency.organisationId],
    );
    expect(seen).toEqual(rows.map((r) => r.id));

    const completed = await routes.exports.GET(request('/api/v1/exports?status=completed', { secret }), {});
    const completedIds = ((await completed.json()) as { data: Array<{ id: string; status: string }> }).data;
    expect(completedIds.map((e) => e.id)).toContain(completedId);
    expect(completedIds.every((e) => e.status === 'completed')).toBe(true);
    const future = await routes.exports.GET(
      request(`/api/v1/exports?createdAfter=${new Date(Date.now() + 60_000).toISOString()}`, { secret }),
      {},
    );
    expect(((await future.json()) as { data: unknown[] }).data).toEqual([]);
    const bad = await expectProblem(
      await routes.exports.GET(request('/api/v1/exports?status=done', { secret }), {}),
      422,
      'validation_failed',
    );
    expect(bad.detail).toContain('status must be one or more of');
  });
});

describe('organisations are isolated: another organisation’s token finds nothing', () => {
  it('every route answers 404 for the agency’s export, the list leaves it out, its source cannot be used', async () => {
    const { secret } = await token(rival, ['exports:read', 'exports:write', 'downloads']);
    const ctx = idCtx(completedId);
    await expectProblem(
      await routes.exportById.GET(request(`/api/v1/exports/${completedId}`, { secret }), ctx),
      404,
      'not_found',
    );
    await expectProblem(
      await routes.events.GET(request(`/api/v1/exports/${completedId}/events`, { secret }), ctx),
      404,
      'not_found',
    );
    await expectProblem(
      await routes.cancel.POST(request(`/api/v1/exports/${completedId}/cancel`, { secret, method: 'POST' }), ctx),
      404,
      'not_found',
    );
    await expectProblem(
      await routes.retry.POST(request(`/api/v1/exports/${completedId}/retry`, { secret, body: {} }), ctx),
      404,
      'not_found',
    );
    await expectProblem(
      await routes.download(request(`/api/v1/exports/${completedId}/download`, { secret }), { id: completedId }),
      404,
      'not_found',
    );
    await expectProblem(await createExport(secret, { sourceId, format: 'csv' }), 404, 'not_found');
    const list = await routes.exports.GET(request('/api/v1/exports?limit=200', { secret }), {});
    const ids = ((await list.json()) as { data: Array<{ id: string }> }).data.map((e) => e.id);
    expect(ids).not.toContain(completedId);
    const { rows } = await db.query('select organisation_id from public.export_jobs where id = any($1)', [ids]);
    expect(rows.every((r: { organisation_id: string }) => r.organisation_id === rival.organisationId)).toBe(true);
  });
});
