import { gunzipSync } from 'node:zlib';
import type { SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob, ExportShard } from '../../lib/exports/types';
import { countMatching } from '../../lib/sources/count-matching';
import { getSourceOrThrow } from '../../lib/sources/get-source-or-throw';
import { checkUserFilter } from '../../supabase/functions/_shared/export-filter.ts';
import type { ExportDocument } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import type { ClaimedJob } from '../../supabase/functions/_shared/worker-rpc-results.ts';
import { fetchLanePage, jobFilterProblem } from '../../supabase/functions/_shared/worker/lane-page.ts';
import { scopedSearchPage } from '../../supabase/functions/_shared/worker/scoped-search-page.ts';
import { serviceClient } from './clients';
import {
  appTypesense,
  createSource,
  createTenant,
  superuserPool,
  testRecord,
  typesenseClient,
  waitForJob,
  type Tenant,
} from './export-fixtures';
import { testStack } from './stack-info';

/**
 * An organisation's scope holds even when a filter gets past Baton's own filter checks: the app and the
 * worker search under a key scoped to the source's mandatory filter, which Typesense ANDs after any
 * filter the request sends. One collection holds two portals' records; the source sees one of them.
 */
const COLLECTION = 'scope_posts';
const PORTAL = 4242;
const OTHER_PORTAL = 999;
const PER_PORTAL = 300;

/** testRecord's states cycle PUBLISHED, DRAFT, SCHEDULED: a third of each portal's records are drafts. */
const DRAFTS_PER_PORTAL = PER_PORTAL / 3;

/**
 * Passes checkUserFilter (its parentheses balance, counting the ones inside `[…]`), yet to the search
 * engine's grammar `[(]` and `[)]` are values, so the filter closes its own parentheses: composed as
 * `(mandatory) && (<filter>)` it reads `((mandatory && …) || state:=DRAFT || …)`, every portal's drafts.
 */
const BREAKOUT = 'state:[(]) || (state:=DRAFT || state:[)]';

let db: pg.Pool;
let tenant: Tenant;
let sourceId: string;
const admin: SupabaseClient = serviceClient();

beforeAll(async () => {
  db = superuserPool();
  const typesense = typesenseClient();
  await typesense
    .collections(COLLECTION)
    .delete()
    .catch(() => undefined);
  await typesense.collections().create({
    name: COLLECTION,
    fields: [
      { name: 'hs_object_id', type: 'int64' },
      { name: 'portal_id', type: 'int64' },
      { name: 'title', type: 'string' },
      { name: 'state', type: 'string', facet: true },
      { name: 'tags', type: 'string[]' },
      { name: 'archived', type: 'bool' },
      { name: 'updated_at', type: 'int64' },
      { name: 'meta_description', type: 'string', optional: true },
      { name: 'body', type: 'string', index: false, optional: true },
    ],
  });
  // Interleaved, so every page of keys holds both portals.
  const records = Array.from({ length: 2 * PER_PORTAL }, (_, i) =>
    testRecord(i, i % 2 === 0 ? PORTAL : OTHER_PORTAL, 50),
  );
  await typesense.collections(COLLECTION).documents().import(records, { action: 'create' });
  tenant = await createTenant(db, 'Scoped agency');
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
});

afterAll(() => db.end());

/** Every record an NDJSON export's shards hold. */
async function exportedRecords(jobId: string): Promise<ExportDocument[]> {
  const { data: shards, error } = await admin
    .from('export_shards')
    .select('*')
    .eq('job_id', jobId)
    .returns<ExportShard[]>();
  if (error) throw error;
  const records: ExportDocument[] = [];
  for (const shard of shards) {
    const { data, error: downloadError } = await admin.storage.from(EXPORTS_BUCKET).download(shard.storage_key);
    if (downloadError) throw downloadError;
    const stored = Buffer.from(await data.arrayBuffer());
    const text = (shard.encoding === 'gzip' ? gunzipSync(stored) : stored).toString('utf8');
    for (const line of text.split('\n')) if (line) records.push(JSON.parse(line) as ExportDocument);
  }
  return records;
}

async function draftCount(portal: number): Promise<number> {
  const result = await typesenseClient()
    .collections(COLLECTION)
    .documents()
    .search({ q: '*', filter_by: `portal_id:=${portal} && state:=DRAFT`, per_page: 0 });
  return result.found;
}

describe('tenant scope under a hostile filter', () => {
  it('the filter gets past the checks, and would read the other portal without the scoped key', async () => {
    expect(checkUserFilter(BREAKOUT)).toEqual({ ok: true });
    const unscoped = await typesenseClient()
      .collections(COLLECTION)
      .documents()
      .search({ q: '*', filter_by: `(portal_id:=${PORTAL}) && (${BREAKOUT})`, per_page: 0 });
    expect(unscoped.found).toBe((await draftCount(PORTAL)) + (await draftCount(OTHER_PORTAL)));
  });

  it('the app’s estimate counts only the organisation’s records', async () => {
    const source = await getSourceOrThrow(tenant.client, sourceId);
    expect(await draftCount(PORTAL)).toBeGreaterThan(0);
    await expect(countMatching(appTypesense(), source, BREAKOUT)).resolves.toBe(await draftCount(PORTAL));
  });

  it('the app’s search path, its checks bypassed, returns only the organisation’s records', async () => {
    const source = await getSourceOrThrow(tenant.client, sourceId);
    const result = await appTypesense()
      .searchSource(source)
      .search({ q: '*', filter_by: `state:=DRAFT) || (portal_id:=${OTHER_PORTAL}`, per_page: 250 });
    const portals = new Set((result.hits ?? []).map((hit) => hit.document.portal_id));
    expect([...portals]).toEqual([PORTAL]);
  });

  it('the worker’s search path, its filter checks bypassed, returns only the organisation’s records', async () => {
    const stack = testStack();
    const searchPage = scopedSearchPage({
      url: stack.typesenseUrl,
      searchKey: stack.typesenseSearchKey,
      tuning: { connectionTimeoutSeconds: 30, retriesPerNode: 1 },
    });
    const job = {
      collection: COLLECTION,
      key_field: 'hs_object_id',
      mandatory_filter: `portal_id:=${PORTAL}`,
      filter: `state:=DRAFT) || (portal_id:=${OTHER_PORTAL}`,
      fields: ['hs_object_id', 'portal_id', 'state'],
      page_size: 250,
    } as ClaimedJob;
    // The worker's own check would refuse it; the search below does not ask it.
    expect(jobFilterProblem(job)?.kind).toBe('bad_filter');
    const documents: ExportDocument[] = [];
    for (let afterKey: bigint | null = null; ;) {
      const page = await fetchLanePage({ searchPage }, job, afterKey, null);
      documents.push(...page.documents);
      if (page.lastKey === null) break;
      afterKey = page.lastKey;
    }
    expect(documents.length).toBe(await draftCount(PORTAL));
    expect(documents.every((d) => d.portal_id === PORTAL && d.state === 'DRAFT')).toBe(true);
  });

  it('an export with the filter, run by the worker on Deno, holds only the organisation’s records', async () => {
    const job = await startExport(
      { user: { supabase: tenant.client, userId: tenant.userId }, admin, typesense: appTypesense() },
      { sourceId, format: 'ndjson', fields: ['hs_object_id', 'portal_id', 'state'], filter: BREAKOUT },
    );
    expect(job.estimated_rows).toBe(DRAFTS_PER_PORTAL);
    const done: ExportJob = await waitForJob(job.id, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), {
      timeoutMs: 90_000,
      sweep: true,
    });
    expect(done).toMatchObject({ status: 'completed', rows_written: DRAFTS_PER_PORTAL });
    const records = await exportedRecords(job.id);
    expect(records).toHaveLength(DRAFTS_PER_PORTAL);
    expect(records.every((r) => r.portal_id === PORTAL && r.state === 'DRAFT')).toBe(true);
  });
});
