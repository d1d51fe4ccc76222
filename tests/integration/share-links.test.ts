import { createHash, randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError, errorResponse } from '../../lib/api/app-error';
import { downloadExport } from '../../lib/download/download-export';
import { formSize } from '../../lib/download/download-form';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { createShareLink, createShareLinkInput } from '../../lib/share-links/create-share-link';
import { downloadLogCsv } from '../../lib/share-links/download-log-csv';
import { downloadSharedExport } from '../../lib/share-links/download-shared-export';
import { listShareLinks } from '../../lib/share-links/list-share-links';
import { readSharedExport } from '../../lib/share-links/read-shared-export';
import { revokeShareLink } from '../../lib/share-links/revoke-share-link';
import { anonClient, serviceClient, storedSizes } from './clients';
import {
  appTypesense,
  createSource,
  createTenant,
  seedCollection,
  superuserPool,
  testFields,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { testStack } from './stack-info';

/**
 * Share links and the download audit, through the routes' domain functions (the routes only add the
 * session or, for a link, nothing): a link's lifecycle, what it reaches (exactly its export's file),
 * its rate limit, and one audit row per download — dashboard or link, whole or range, completed or cut.
 */
const COLLECTION = 'share_posts';
const PORTAL = 91;
const RECORDS = 1_200;

let db: pg.Pool;
let tenant: Tenant;
let outsider: Tenant;
let sourceId: string;
/** Completed exports of the tenant: the one shared, and another the link must never reach. */
let shared: ExportJob;
let other: ExportJob;
const admin = serviceClient();

const deps = (t: Tenant = tenant) => ({
  user: { supabase: t.client, userId: t.userId, email: t.email },
  admin,
  typesense: appTypesense(),
  storedSize: storedSizes(),
});

/** The route's path: the body parsed by the route's schema, then the domain function. */
const share = async (t: Tenant, jobId: string, input: Record<string, unknown>) =>
  createShareLink(deps(t), jobId, createShareLinkInput.parse(input));

const dashboardRequest = (jobId: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost/api/exports/${jobId}/download`, { headers });
const linkRequest = (token: string, query = '', init: RequestInit = {}) =>
  new Request(`http://localhost/api/shared/${token}/download${query}`, init);

async function bytesOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

/** What the route answers for an error a domain function threw: status and body, as a visitor sees them. */
async function answered(promise: Promise<unknown>): Promise<{ status: number; body: string; headers: Headers }> {
  const error: unknown = await promise.then(
    () => {
      throw new Error('expected a refusal, but it was served');
    },
    (e: unknown) => e,
  );
  const res = errorResponse(error);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function addMember(organisationId: string, role: 'viewer' | 'admin'): Promise<Tenant> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'correct horse battery';
  const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (created.error) throw created.error;
  await db.query('insert into public.memberships (organisation_id, user_id, role) values ($1, $2, $3)', [
    organisationId,
    created.data.user.id,
    role,
  ]);
  const client = createClient(testStack().apiUrl, testStack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const signedIn = await client.auth.signInWithPassword({ email, password });
  if (signedIn.error) throw signedIn.error;
  return {
    organisationId,
    userId: created.data.user.id,
    email,
    client,
    accessToken: signedIn.data.session.access_token,
  };
}

type DownloadEvent = {
  actor: string | null;
  share_link_id: string | null;
  detail: {
    form: string;
    partial: boolean;
    range: [number, number] | null;
    size: number;
    bytes: number;
    outcome: 'completed' | 'cut';
    note?: string | null;
  };
};

/** The download events of a job after `since`, waiting for `count` of them: each is written when its response ends. */
async function downloadEvents(jobId: string, since: number, count: number): Promise<DownloadEvent[]> {
  return vi.waitFor(
    async () => {
      const { rows } = await db.query<DownloadEvent>(
        `select actor, share_link_id, detail from public.export_events
         where job_id = $1 and kind = 'downloaded' and id > $2 order by id`,
        [jobId, since],
      );
      expect(rows.length).toBeGreaterThanOrEqual(count);
      return rows;
    },
    { timeout: 10_000, interval: 100 },
  );
}

async function lastEventId(): Promise<number> {
  const { rows } = await db.query<{ id: string | null }>('select max(id)::text as id from public.export_events');
  return Number(rows[0]!.id ?? 0);
}

async function completedExport(): Promise<ExportJob> {
  const job = await startExport(deps(), { sourceId, format: 'csv', fields: testFields, filter: null });
  return waitForJob(job.id, (j) => j.status === 'completed', { timeoutMs: 120_000, sweep: true });
}

beforeAll(async () => {
  db = superuserPool();
  await seedCollection(COLLECTION, RECORDS, { portalId: PORTAL });
  tenant = await createTenant(db, 'Share agency');
  outsider = await createTenant(db, 'Other agency');
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
  [shared, other] = await Promise.all([completedExport(), completedExport()]);
}, 240_000);

afterAll(() => db.end());

describe('a share link', () => {
  it('is made by a member, stored only as its hash, and serves the same file as the dashboard', async () => {
    const created = await share(tenant, shared.id, { expiresInHours: 24, note: 'For Acme' });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.path).toBe(`/s/${created.token}`);
    expect(created.link.forms).toEqual(['plain', 'excel', 'gzip']);
    const hours = (Date.parse(created.link.expires_at) - Date.parse(created.link.created_at)) / 3_600_000;
    expect(hours).toBeCloseTo(24, 3);

    // The database holds the hash, never the token; only the service role can read even the hash.
    const { rows } = await db.query<Record<string, unknown>>(
      `select l.*, t.token_sha256 from public.export_share_links l
       join private.export_share_link_tokens t on t.link_id = l.id where l.id = $1`,
      [created.link.id],
    );
    expect(rows[0]!.token_sha256).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(rows[0])).not.toContain(created.token);
    const { rows: privileges } = await db.query<{ role: string; can: boolean }>(
      `select r as role, has_table_privilege(r, 'private.export_share_link_tokens', 'select') as can
       from unnest(array['anon', 'authenticated']) r`,
    );
    expect(privileges).toEqual([
      { role: 'anon', can: false },
      { role: 'authenticated', can: false },
    ]);
    expect((await listShareLinks(tenant.client, shared.id)).map((l) => l.id)).toContain(created.link.id);

    const page = await readSharedExport(admin, created.token);
    expect(page.name).toBe(shared.name);
    expect(page.forms.map((f) => [f.form, f.size])).toEqual(
      (['plain', 'excel', 'gzip'] as const).map((form) => [form, formSize(shared, form)]),
    );

    const dashboard = await downloadExport(deps(), shared.id, dashboardRequest(shared.id));
    const viaLink = await downloadSharedExport(admin, created.token, linkRequest(created.token));
    expect(viaLink.status).toBe(200);
    expect(viaLink.headers.get('content-length')).toBe(dashboard.headers.get('content-length'));
    expect(viaLink.headers.get('etag')).toBe(dashboard.headers.get('etag'));
    expect(viaLink.headers.get('accept-ranges')).toBe('bytes');
    const whole = await bytesOf(viaLink);
    expect(whole.equals(await bytesOf(dashboard))).toBe(true);

    // Resume: a range with If-Range of the same file.
    const resumed = await downloadSharedExport(
      admin,
      created.token,
      linkRequest(created.token, '', {
        headers: { Range: 'bytes=1000-', 'If-Range': viaLink.headers.get('etag')! },
      }),
    );
    expect(resumed.status).toBe(206);
    expect(resumed.headers.get('content-range')).toBe(`bytes 1000-${whole.length - 1}/${whole.length}`);
    expect((await bytesOf(resumed)).equals(whole.subarray(1000))).toBe(true);

    const gz = await downloadSharedExport(admin, created.token, linkRequest(created.token, '?form=gzip'));
    expect(Number(gz.headers.get('content-length'))).toBe(formSize(shared, 'gzip'));
    await gz.body?.cancel();
  });

  it('stops at once when revoked, when it expires and when the export has no file, with the same 404 as a guess', async () => {
    const guessed = await answered(readSharedExport(admin, 'A'.repeat(43)));
    expect(guessed.status).toBe(404);
    const guessedDownload = await answered(downloadSharedExport(admin, 'A'.repeat(43), linkRequest('A'.repeat(43))));
    expect(guessedDownload).toMatchObject({ status: 404, body: guessed.body });

    const revoked = await share(tenant, shared.id, {});
    await readSharedExport(admin, revoked.token);
    await revokeShareLink(deps(), revoked.link.id);
    expect(await answered(readSharedExport(admin, revoked.token))).toMatchObject({ status: 404, body: guessed.body });
    expect(await answered(downloadSharedExport(admin, revoked.token, linkRequest(revoked.token)))).toMatchObject({
      status: 404,
      body: guessed.body,
    });
    await revokeShareLink(deps(), revoked.link.id); // twice: nothing changes

    const expiring = await share(tenant, shared.id, { expiresInHours: 1 });
    await readSharedExport(admin, expiring.token);
    // An hour later (the database's clock decides; the row is moved back two hours instead).
    await db.query(
      `update public.export_share_links set created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' where id = $1`,
      [expiring.link.id],
    );
    expect(await answered(downloadSharedExport(admin, expiring.token, linkRequest(expiring.token)))).toMatchObject({
      status: 404,
      body: guessed.body,
    });

    // An export whose file cannot be downloaded (here: running again) stops its links until it has one.
    const live = await share(tenant, shared.id, {});
    await db.query(`update public.export_jobs set status = 'running' where id = $1`, [shared.id]);
    try {
      expect(await answered(readSharedExport(admin, live.token))).toMatchObject({ status: 404, body: guessed.body });
      expect(await answered(downloadSharedExport(admin, live.token, linkRequest(live.token)))).toMatchObject({
        status: 404,
        body: guessed.body,
      });
    } finally {
      await db.query(`update public.export_jobs set status = 'completed' where id = $1`, [shared.id]);
    }
    expect((await readSharedExport(admin, live.token)).name).toBe(shared.name);
  });

  it('is for members: a viewer may download but not share, another organisation cannot revoke', async () => {
    const viewer = await addMember(tenant.organisationId, 'viewer');
    const refused = await share(viewer, shared.id, {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'forbidden' });

    const link = await share(tenant, shared.id, {});
    await expect(revokeShareLink(deps(outsider), link.link.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(revokeShareLink(deps(viewer), link.link.id)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await readSharedExport(admin, link.token)).name).toBe(shared.name);

    await expect(share(tenant, shared.id, { expiresInHours: 169 })).rejects.toThrow();
    await expect(share(outsider, shared.id, {})).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reaches exactly its export’s file: no other export, no manifest, nothing of the organisation', async () => {
    const link = await share(tenant, shared.id, { forms: ['plain'], note: 'isolation' });
    const page = await readSharedExport(admin, link.token);
    // The export's name is shown (it is what the link shares; unless renamed it names the collection);
    // nothing else of the export, its organisation or its people.
    const pageText = JSON.stringify({ ...page, name: undefined });
    for (const secret of [
      shared.id,
      other.id,
      tenant.organisationId,
      tenant.email,
      tenant.userId,
      sourceId,
      COLLECTION,
      'portal_id',
      'isolation',
    ]) {
      expect(pageText).not.toContain(secret);
    }
    expect(Object.keys(page).sort()).toEqual(['expiresAt', 'format', 'forms', 'name', 'partial']);

    // Only its file: no parameter names another export, and a form not offered is refused, not served.
    await expect(
      downloadSharedExport(admin, link.token, linkRequest(link.token, `?id=${other.id}`)),
    ).rejects.toMatchObject({ name: 'ZodError' });
    await expect(downloadSharedExport(admin, link.token, linkRequest(link.token, '?form=gzip'))).rejects.toMatchObject({
      code: 'unprocessable',
    });
    const served = await bytesOf(await downloadSharedExport(admin, link.token, linkRequest(link.token)));
    const own = await bytesOf(await downloadExport(deps(), shared.id, dashboardRequest(shared.id)));
    const others = await bytesOf(await downloadExport(deps(), other.id, dashboardRequest(other.id)));
    expect(served.equals(own)).toBe(true);
    expect(own.equals(others)).toBe(true); // same records: the ETag tells the files apart
    const etag = (
      await downloadSharedExport(admin, link.token, linkRequest(link.token, '', { method: 'HEAD' }))
    ).headers.get('etag');
    expect(etag).toBe(
      (await downloadExport(deps(), shared.id, new Request('http://x/', { method: 'HEAD' }))).headers.get('etag'),
    );
    expect(etag).not.toBe(
      (await downloadExport(deps(), other.id, new Request('http://x/', { method: 'HEAD' }))).headers.get('etag'),
    );

    // Without a session nothing else is reachable: links, their lookup, the rate counter, the audit.
    const anon = anonClient();
    expect((await anon.from('export_share_links').select('id')).data ?? []).toEqual([]);
    expect((await anon.from('export_shards').select('job_id').eq('job_id', shared.id)).data ?? []).toEqual([]);
    for (const [fn, args] of [
      ['resolve_export_share_link', { p_token_sha256: createHash('sha256').update(link.token).digest('hex') }],
      ['take_share_link_request', { p_link_id: link.link.id, p_limit: 1, p_window_seconds: 60 }],
      ['record_export_download', { p_job_id: shared.id, p_detail: {}, p_share_link_id: link.link.id }],
    ] as const) {
      const { error } = await (anon as SupabaseClient).rpc(fn, args);
      expect(error?.message, fn).toMatch(/permission denied/);
    }
  });

  it('is rate-limited per link in Postgres: 429 with Retry-After, across instances, other links unaffected', async () => {
    const rate = { requests: 3, windowSeconds: 3600 };
    const busy = await share(tenant, shared.id, {});
    const calm = await share(tenant, shared.id, {});
    // Three requests from three "instances" (clients of their own): the count is the database's.
    await readSharedExport(serviceClient(), busy.token, rate);
    await readSharedExport(serviceClient(), busy.token, rate);
    const head = await downloadSharedExport(
      serviceClient(),
      busy.token,
      linkRequest(busy.token, '', { method: 'HEAD' }),
      rate,
    );
    expect(head.status).toBe(200);
    const refused = await answered(downloadSharedExport(admin, busy.token, linkRequest(busy.token), rate));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(refused.body).toContain('try again in');
    expect((await readSharedExport(admin, calm.token, rate)).name).toBe(shared.name);
  });
});

describe('the download audit', () => {
  it('records whole, ranged and cut downloads from the dashboard, and downloads through a link', async () => {
    const since = await lastEventId();
    const size = formSize(shared, 'plain')!;

    await bytesOf(await downloadExport(deps(), shared.id, dashboardRequest(shared.id)));
    await bytesOf(await downloadExport(deps(), shared.id, dashboardRequest(shared.id, { Range: 'bytes=100-599' })));
    // Cut: the client reads one chunk and goes away.
    const cut = await downloadExport(deps(), shared.id, dashboardRequest(shared.id));
    const reader = cut.body!.getReader();
    const first = await reader.read();
    await reader.cancel();
    const link = await share(tenant, shared.id, { note: 'For the audit' });
    await bytesOf(await downloadSharedExport(admin, link.token, linkRequest(link.token, '?form=excel')));
    // HEAD sends nothing: not a download.
    await downloadExport(deps(), shared.id, new Request('http://x/', { method: 'HEAD' }));

    const events = await downloadEvents(shared.id, since, 4);
    expect(events).toEqual([
      {
        actor: tenant.userId,
        share_link_id: null,
        detail: { form: 'plain', partial: false, range: null, size, bytes: size, outcome: 'completed' },
      },
      {
        actor: tenant.userId,
        share_link_id: null,
        detail: { form: 'plain', partial: false, range: [100, 599], size, bytes: 500, outcome: 'completed' },
      },
      {
        actor: tenant.userId,
        share_link_id: null,
        detail: { form: 'plain', partial: false, range: null, size, bytes: first.value!.length, outcome: 'cut' },
      },
      {
        actor: null,
        share_link_id: link.link.id,
        detail: {
          form: 'excel',
          partial: false,
          range: null,
          size: size + 3,
          bytes: size + 3,
          outcome: 'completed',
          note: 'For the audit',
        },
      },
    ]);
    expect(first.value!.length).toBeLessThan(size);
  });

  it('is exported as CSV for the organisation’s admins only', async () => {
    const orgAdmin = await addMember(tenant.organisationId, 'admin');
    const since = await lastEventId();
    // A note is free text: one that reads as a formula must not run in a spreadsheet.
    const formula = await share(tenant, shared.id, { note: '=1+1' });
    await bytesOf(
      await downloadSharedExport(
        admin,
        formula.token,
        linkRequest(formula.token, '', { headers: { Range: 'bytes=0-0' } }),
      ),
    );
    await bytesOf(await downloadExport(deps(), shared.id, dashboardRequest(shared.id, { Range: 'bytes=0-9' })));
    await downloadEvents(shared.id, since, 2);

    const csv = await new Response(await downloadLogCsv(orgAdmin.client, tenant.organisationId)).text();
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'at,export_id,export_name,downloaded_by,share_link_id,share_link_note,form,partial,range_first,range_last,file_bytes,bytes_sent,outcome',
    );
    const last = lines.at(-1)!;
    expect(last).toContain(`,${shared.id},`);
    expect(last).toContain(`,${tenant.email},`);
    expect(last).toMatch(/,plain,false,0,9,\d+,10,completed$/);
    expect(csv).toContain(',For the audit,excel,');
    expect(csv).toMatch(/,cut\r\n/);
    expect(csv).toContain(`,${formula.link.id},'=1+1,plain,false,0,0,`);
    expect(csv).not.toContain(outsider.email);

    for (const refused of [tenant, outsider]) {
      await expect(downloadLogCsv(refused.client, tenant.organisationId)).rejects.toMatchObject({ code: 'forbidden' });
    }
  });
});
