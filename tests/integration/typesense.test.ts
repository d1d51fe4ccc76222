import pg from 'pg';
import Typesense from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PORTAL_ID, demoDocument, demoObjectId } from '../../devstack/seed/demo-data';
import { seedDemoData, seedTinyCollection } from '../../devstack/seed/seed-demo-data';
import { getCollection, partitionName } from '../../devstack/typesense/store';
import { testStack } from './stack-info';

/**
 * The Typesense stand-in driven only through the official `typesense` client (3.1.0), as the app and the
 * worker use it. Demo data is seeded straight into Postgres with the devstack's seed function.
 */

// 80 pages of 250 for the keyset scan: paging, order and `found` are the point, not the count.
const BLOG_POSTS = 20_000;
/** Just past the default limit_hits of 1,000,000. */
const TINY_COUNT = 1_000_100;

const stack = testStack();
const tsUrl = new URL(stack.typesenseUrl);
const db = new pg.Pool({ connectionString: stack.pgConnectionString, max: 4 });
const log = (service: string, message: string) => console.log(`[${service}] ${message}`);

function client(options: { apiKey?: string; numRetries?: number } = {}) {
  return new Typesense.Client({
    nodes: [{ host: tsUrl.hostname, port: Number(tsUrl.port), protocol: 'http' }],
    apiKey: options.apiKey ?? stack.typesenseApiKey,
    connectionTimeoutSeconds: 30,
    numRetries: options.numRetries ?? 3,
    retryIntervalSeconds: 0.05,
    logLevel: 'silent',
  });
}
const ts = client();

/** The rejection of a promise, as an object we can assert on (httpStatus + message). */
async function failure(
  promise: Promise<unknown>,
): Promise<{ httpStatus: number | undefined; message: string; name: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { httpStatus?: number };
    return { httpStatus: e.httpStatus, message: e.message, name: e.name };
  }
  throw new Error('expected the request to fail');
}

/** A small collection with hand-written docs whose filter answers are easy to state. */
const SMALL = 'ts_test_small';
type SmallDoc = { id: string; n: number; price: number; name: string; tags?: string[]; active: boolean; city?: string };
const smallDocs: SmallDoc[] = Array.from({ length: 30 }, (_, i) => ({
  id: `s${i + 1}`,
  n: i + 1,
  price: Math.round((i + 1) * 1.5 * 100) / 100,
  name: i % 3 === 0 ? `Hello, World ${i + 1}` : `Plain item ${i + 1}`,
  ...(i % 4 === 0 ? {} : { tags: i % 2 === 0 ? ['red', 'blue'] : ['green'] }),
  active: i % 2 === 0,
  ...(i % 5 === 0 ? {} : { city: i % 10 < 5 ? 'Paris' : 'Tokyo' }),
}));

async function ids(filter_by: string, extra: Record<string, unknown> = {}): Promise<number[]> {
  const result = await ts
    .collections<SmallDoc>(SMALL)
    .documents()
    .search({ q: '*', filter_by, per_page: 250, sort_by: 'n:asc', ...extra });
  return (result.hits ?? []).map((h) => h.document.n);
}
const where = (predicate: (d: SmallDoc) => boolean) => smallDocs.filter(predicate).map((d) => d.n);

beforeAll(async () => {
  const started = performance.now();
  const report = await seedDemoData({ db, log }, { blogPosts: BLOG_POSTS });
  log('test', `seeded demo data in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(report)}`);

  await ts
    .collections(SMALL)
    .delete()
    .catch(() => undefined);
  await ts.collections().create({
    name: SMALL,
    fields: [
      { name: 'n', type: 'int32' },
      { name: 'price', type: 'float' },
      { name: 'name', type: 'string', sort: true },
      { name: 'tags', type: 'string[]', optional: true, facet: true },
      { name: 'active', type: 'bool' },
      { name: 'city', type: 'string', optional: true },
    ],
  });
  await ts.collections(SMALL).documents().import(smallDocs, { action: 'create' });
});

afterAll(async () => {
  await ts
    .collections(SMALL)
    .delete()
    .catch(() => undefined);
  await db.end();
});

describe('typesense stand-in: collections, auth, errors', () => {
  it('answers /health without a key and retrieves the demo collections', async () => {
    expect(await ts.health.retrieve()).toEqual({ ok: true });
    const blog = await ts.collections('blog_posts').retrieve();
    expect(blog.num_documents).toBe(BLOG_POSTS);
    expect(blog.fields.find((f) => f.name === 'hs_object_id')).toMatchObject({
      type: 'int64',
      sort: true,
      index: true,
      optional: false,
    });
    expect(typeof blog.created_at).toBe('number');
    const names = (await ts.collections().retrieve()).map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['blog_posts', 'site_pages', 'landing_pages', 'partner_blog_posts', SMALL]),
    );
    expect((await ts.collections('partner_blog_posts').retrieve()).num_documents).toBe(1_000);
    // Seeding again is a no-op when the counts already match.
    const again = await seedDemoData({ db, log }, { blogPosts: BLOG_POSTS });
    expect(again.map((r) => r.skipped)).toEqual([true, true, true, true]);
  });

  it('refuses a wrong or missing key with 401 and the real message', async () => {
    const bad = await failure(client({ apiKey: 'wrong' }).collections('blog_posts').retrieve());
    expect(bad.httpStatus).toBe(401);
    expect(bad.message).toContain('Forbidden - a valid `x-typesense-api-key` header must be sent.');
    const missing = await fetch(`${stack.typesenseUrl}/collections`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('answers 404 for an unknown collection, 409 for a duplicate one', async () => {
    const notFound = await failure(ts.collections('nope').documents().search({ q: '*' }));
    expect(notFound.httpStatus).toBe(404);
    expect(notFound.message).toContain('Collection not found');
    const dup = await failure(ts.collections().create({ name: SMALL, fields: [{ name: 'n', type: 'int32' }] }));
    expect(dup.httpStatus).toBe(409);
  });

  it('enforces per_page ≤ 250 (422), sort_by ≤ 3 fields (422), sortable fields (404)', async () => {
    const docs = ts.collections('blog_posts').documents();
    const big = await failure(docs.search({ q: '*', per_page: 251 }));
    expect(big.httpStatus).toBe(422);
    expect(big.message).toContain('Only upto 250 hits can be fetched per page.');
    const four = await failure(
      docs.search({ q: '*', sort_by: 'created_at:asc,updated_at:asc,publish_date:asc,hs_object_id:asc' }),
    );
    expect(four.httpStatus).toBe(422);
    expect(four.message).toContain('Only upto 3 sort_by fields can be specified.');
    const unsortable = await failure(docs.search({ q: '*', sort_by: 'slug:asc' }));
    expect(unsortable.httpStatus).toBe(404);
    expect(unsortable.message).toContain('Could not find a field named `slug` in the schema for sorting.');
  });

  it('rejects bad filters with the real status and message', async () => {
    const docs = ts.collections('blog_posts').documents();
    const type = await failure(docs.search({ q: '*', filter_by: 'hs_object_id:>abc' }));
    expect(type.httpStatus).toBe(400);
    expect(type.message).toContain('Error with filter field `hs_object_id`: Not an int64.');
    const syntax = await failure(docs.search({ q: '*', filter_by: '(state:=DRAFT' }));
    expect(syntax.httpStatus).toBe(400);
    expect(syntax.message).toContain('unbalanced parentheses');
    // Real Typesense answers 404 for an unknown filter field (filter.cpp toFilter).
    const unknown = await failure(docs.search({ q: '*', filter_by: 'x:=1' }));
    expect(unknown.httpStatus).toBe(404);
    expect(unknown.message).toContain('Could not find a filter field named `x` in the schema.');
    const exportBad = await failure(docs.export({ filter_by: 'portal_id:=abc' }));
    expect(exportBad.httpStatus).toBe(400);
  });

  it('refuses a query string over 4000 characters', async () => {
    const long = await failure(
      ts
        .collections('blog_posts')
        .documents()
        .search({ q: '*', filter_by: `title:=${'x'.repeat(4100)}` }),
    );
    expect(long.httpStatus).toBe(400);
    expect(long.message).toContain('Query string exceeds max allowed length of 4000');
  });

  it('returns the Typesense search response shape', async () => {
    const r = await ts
      .collections('blog_posts')
      .documents()
      .search({ q: '*', per_page: 3, filter_by: `portal_id:=${DEMO_PORTAL_ID}` });
    expect(r).toMatchObject({ found: BLOG_POSTS, out_of: BLOG_POSTS, page: 1, facet_counts: [], search_cutoff: false });
    expect(r.request_params).toMatchObject({ collection_name: 'blog_posts', per_page: 3, q: '*' });
    expect(typeof r.search_time_ms).toBe('number');
    // Default order: newest insertion first (seq desc), and documents are stored exactly as generated.
    expect(r.hits?.map((h) => h.document)).toEqual(
      [BLOG_POSTS - 1, BLOG_POSTS - 2, BLOG_POSTS - 3].map((i) => demoDocument('blog_posts', i)),
    );
    expect((await ts.collections('blog_posts').documents().search({ q: '*' })).hits).toHaveLength(10);
  });
});

describe('typesense stand-in: filters', () => {
  it('filters numbers: comparators, lists, ranges, multi-ranges', async () => {
    expect(await ids('n:>25')).toEqual(where((d) => d.n > 25));
    expect(await ids('n:>=25 && n:<=27')).toEqual([25, 26, 27]);
    expect(await ids('n:<3')).toEqual([1, 2]);
    expect(await ids('n:=7')).toEqual([7]);
    expect(await ids('n:7')).toEqual([7]);
    expect(await ids('n:[3, 5, 99]')).toEqual([3, 5]);
    expect(await ids('n:[10..12]')).toEqual([10, 11, 12]);
    expect(await ids('n:[<3, >28, 14..15]')).toEqual([1, 2, 14, 15, 29, 30]);
    expect(await ids('n:!=4 && n:<6')).toEqual([1, 2, 3, 5]);
    expect(await ids('n:![1,2,3] && n:<6')).toEqual([4, 5]);
    expect(await ids('price:>=40.5')).toEqual(where((d) => d.price >= 40.5));
  });

  it('filters strings (exact, token, backticks), string arrays and bools', async () => {
    expect(await ids('city:=Paris')).toEqual(where((d) => d.city === 'Paris'));
    expect(await ids('city:=paris')).toEqual(where((d) => d.city === 'Paris'));
    expect(await ids('city:=[Paris, Tokyo]')).toEqual(where((d) => d.city !== undefined));
    // != matches documents without the field too (Typesense: all ids minus the matching ones).
    expect(await ids('city:!=Paris')).toEqual(where((d) => d.city !== 'Paris'));
    expect(await ids('name:=`Hello, World 4`')).toEqual([4]);
    expect(await ids('name:World')).toEqual(where((d) => d.name.startsWith('Hello, World')));
    expect(await ids('name:Wor')).toEqual([]);
    expect(await ids('tags:=blue')).toEqual(where((d) => d.tags?.includes('blue') ?? false));
    expect(await ids('tags:=[green, blue]')).toEqual(where((d) => d.tags !== undefined));
    expect(await ids('tags:!=green')).toEqual(where((d) => !(d.tags?.includes('green') ?? false)));
    expect(await ids('active:true')).toEqual(where((d) => d.active));
    expect(await ids('active:=false')).toEqual(where((d) => !d.active));
    expect(await ids('id:=[s3, s4, nope]')).toEqual([3, 4]);
  });

  it('gives && and || equal precedence, left to right, and honours parentheses', async () => {
    // (n:1 || n:2) && active:true → only 1 (n=1 is active, n=2 is not).
    expect(await ids('n:1 || n:2 && active:true')).toEqual([1]);
    // n:1 || (n:2 && active:true) → 1.
    expect(await ids('n:1 || (n:2 && active:true)')).toEqual([1]);
    // n:2 || n:3 && active:true → (2||3) && active → 3.
    expect(await ids('n:2 || n:3 && active:true')).toEqual([3]);
    expect(await ids('n:2 || (n:3 && active:true)')).toEqual([2, 3]);
    expect(await ids('(n:<3 || n:>28) && (city:=Paris || active:false)')).toEqual(
      where((d) => (d.n < 3 || d.n > 28) && (d.city === 'Paris' || !d.active)),
    );
  });

  it('prunes documents with include_fields / exclude_fields and sorts by string', async () => {
    const inc = await ts
      .collections<SmallDoc>(SMALL)
      .documents()
      .search({ q: '*', filter_by: 'n:<3', sort_by: 'n:asc', include_fields: 'id,n' });
    expect(inc.hits?.map((h) => h.document)).toEqual([
      { id: 's1', n: 1 },
      { id: 's2', n: 2 },
    ]);
    const exc = await ts
      .collections<SmallDoc>(SMALL)
      .documents()
      .search({ q: '*', filter_by: 'n:=2', exclude_fields: 'name,tags,price' });
    expect(exc.hits?.[0]?.document).toEqual({ id: 's2', n: 2, active: false, city: 'Paris' });
    expect(await ids('n:<5', { sort_by: 'name:desc,n:asc' })).toEqual([3, 2, 4, 1]);
  });

  it('paging stops silently at an explicit limit_hits while found stays true', async () => {
    const page = (p: number) =>
      ts
        .collections<SmallDoc>(SMALL)
        .documents()
        .search({ q: '*', sort_by: 'n:asc', per_page: 10, page: p, limit_hits: 25 });
    expect((await page(1)).hits?.map((h) => h.document.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const third = await page(3);
    expect(third.hits?.map((h) => h.document.n)).toEqual([21, 22, 23, 24, 25]);
    expect(third.found).toBe(30);
    const fourth = await page(4);
    expect(fourth.hits).toEqual([]);
    expect(fourth.found).toBe(30);
  });

  it('imports with per-line results: a create conflict fails alone, insertion order is kept', async () => {
    const docs = ts.collections<SmallDoc>(SMALL).documents();
    const results = await docs.import([{ id: 's1', n: 1, price: 1, name: 'dup', active: true }], {
      action: 'create',
      throwOnFail: false,
    } as never);
    expect(results).toEqual([expect.objectContaining({ success: false, code: 409 })]);
    const exported = (await docs.export()).split('\n').map((l) => JSON.parse(l) as SmallDoc);
    expect(exported.map((d) => d.id)).toEqual(smallDocs.map((d) => d.id));
    expect(exported[0]?.name).toBe('Hello, World 1');

    // Keyset counts are cached per collection version: a write must show up in the next `found`.
    const found = async () => (await docs.search({ q: '*', filter_by: 'active:true && n:>28' })).found;
    expect(await found()).toBe(1);
    await docs.import([{ id: 's31', n: 31, price: 1, name: 'new', active: true }], { action: 'create' });
    expect(await found()).toBe(2);
  });

  it('analyses a collection filled through the import API, expression indexes included', async () => {
    // Without statistics on the key's expression index the planner reads every row past a keyset cursor
    // (71 ms a page at 100,000 docs instead of 0.6 ms); the bulk seed analyses, so must an import.
    const name = 'ts_test_imported';
    await ts
      .collections(name)
      .delete()
      .catch(() => undefined);
    await ts.collections().create({ name, fields: [{ name: 'n', type: 'int64' }], default_sorting_field: 'n' });
    const partition = partitionName((await getCollection(db, name)).id);
    const statistics = async () => {
      const { rows } = await db.query<{ table_stats: number; indexes: number; analysed_indexes: number }>(
        `select (select count(*) from pg_statistic where starelid = $1::regclass)::int as table_stats,
                count(*)::int as indexes,
                count(*) filter (where exists (select 1 from pg_statistic s where s.starelid = i.indexrelid))::int
                  as analysed_indexes
         from pg_index i
         where i.indrelid = $1::regclass and i.indexprs is not null`,
        [partition],
      );
      return rows[0];
    };
    const docs = ts.collections(name).documents();
    await docs.import(
      Array.from({ length: 500 }, (_, n) => ({ n })),
      { action: 'create' },
    );
    // Small enough for any plan: not analysed yet.
    expect(await statistics()).toMatchObject({ table_stats: 0, analysed_indexes: 0 });
    await docs.import(
      Array.from({ length: 4_500 }, (_, n) => ({ n: 500 + n })),
      { action: 'create' },
    );
    const after = await statistics();
    expect(after?.indexes).toBeGreaterThan(0);
    expect(after?.analysed_indexes).toBe(after?.indexes);
    expect(after?.table_stats).toBeGreaterThan(0);
    await ts.collections(name).delete();
  });
});

describe('typesense stand-in: fidelity (int64, NUL, nested fields, per-document errors)', () => {
  const FIDELITY = 'ts_test_fidelity';
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.typesenseUrl}${path}`, {
      ...init,
      headers: { 'X-TYPESENSE-API-KEY': stack.typesenseApiKey, ...init.headers },
    });
  const importLines = async (lines: string[], action?: string) => {
    const response = await api(`/collections/${FIDELITY}/documents/import${action ? `?action=${action}` : ''}`, {
      method: 'POST',
      body: lines.join('\n'),
      headers: { 'Content-Type': 'text/plain' },
    });
    return { status: response.status, text: await response.text() };
  };

  beforeAll(async () => {
    await ts
      .collections(FIDELITY)
      .delete()
      .catch(() => undefined);
    await ts.collections().create({
      name: FIDELITY,
      enable_nested_fields: true,
      fields: [
        { name: 'key', type: 'int64' },
        { name: 'title', type: 'string' },
        { name: 'author', type: 'object', optional: true },
        { name: 'tags', type: 'object[]', optional: true },
        { name: 'extra', type: 'auto', optional: true },
      ],
    });
  });
  afterAll(async () => {
    await ts
      .collections(FIDELITY)
      .delete()
      .catch(() => undefined);
  });

  it('stores int64 keys beyond 2^53 exactly, and filters, sorts and exports them exactly', async () => {
    // Written by hand: JSON.stringify of a JS number would already have rounded these.
    const imported = await importLines([
      '{"id":"big1","key":9007199254740993,"title":"one past 2^53","views":{"total":9223372036854775807}}',
      '{"id":"big0","key":9007199254740992,"title":"2^53"}',
    ]);
    expect(imported.text.split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { success: true },
      { success: true },
    ]);

    const search = await api(
      `/collections/${FIDELITY}/documents/search?q=*&filter_by=${encodeURIComponent('key:>9007199254740992')}&sort_by=key:asc`,
    );
    const body = await search.text();
    expect(body).toContain('"key":9007199254740993');
    expect(body).toContain('"total":9223372036854775807');
    expect(body).toMatch(/"found":1\b/);

    const exported = await (
      await api(`/collections/${FIDELITY}/documents/export?filter_by=key:>=9007199254740992`)
    ).text();
    expect(exported).toContain('"key":9007199254740993');
    expect(exported).toContain('"key":9007199254740992');
  });

  it('accepts NUL and any other valid JSON string, and gives it back unchanged', async () => {
    const title = 'nul\u0000inside, emoji 🚀, quote \\", newline \n, tab \t';
    // JSON.stringify writes the NUL as the escape \u0000 (a raw control character is not valid JSON).
    const imported = await importLines([JSON.stringify({ id: 'nul', key: 1, title })]);
    expect(JSON.parse(imported.text)).toEqual({ success: true });
    const hit = await ts.collections(FIDELITY).documents().search({ q: '*', filter_by: 'key:=1' });
    expect(hit.hits?.[0]?.document).toMatchObject({ title });
    const exported = await (await api(`/collections/${FIDELITY}/documents/export?filter_by=key:=1`)).text();
    expect((JSON.parse(exported) as { title: string }).title).toBe(title);
  });

  it('keeps nested objects, object arrays and auto fields, and checks their types', async () => {
    const results = await importLines([
      '{"id":"n1","key":2,"title":"nested","author":{"name":"Ada","ids":[1,2]},"tags":[{"label":"x"}],"extra":[1,"two"]}',
      '{"id":"n2","key":3,"title":"bad author","author":"Ada"}',
      '{"id":"n3","key":4,"title":"bad tags","tags":["x"]}',
    ]);
    expect(results.text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { success: true },
      expect.objectContaining({ success: false, code: 400, error: 'Field `author` must be an object.' }),
      expect.objectContaining({ success: false, code: 400, error: 'Field `tags` must be an array of objects.' }),
    ]);
    const hit = await ts.collections(FIDELITY).documents().search({ q: '*', filter_by: 'key:=2' });
    expect(hit.hits?.[0]?.document).toMatchObject({
      author: { name: 'Ada', ids: [1, 2] },
      tags: [{ label: 'x' }],
      extra: [1, 'two'],
    });
    expect(
      await failure(ts.collections(FIDELITY).documents().search({ q: '*', filter_by: 'author:=Ada' })),
    ).toMatchObject({
      httpStatus: 404,
      message: expect.stringContaining('Could not find a filter field named `author`') as string,
    });
    expect(
      await failure(
        ts.collections().create({ name: `${FIDELITY}_flat`, fields: [{ name: 'author', type: 'object' }] }),
      ),
    ).toMatchObject({ httpStatus: 400, message: expect.stringContaining('enable_nested_fields') as string });
  });

  it('answers bad documents line by line and writes the good ones of the same batch', async () => {
    const results = await importLines([
      '{"id":"ok1","key":10,"title":"fine"}',
      '{"id":"bad1","key":"ten","title":"not an int64"}',
      '{"id":"bad2","key":9223372036854775808,"title":"past int64"}',
      '{"id":"bad3","key":11,',
      '{"id":"ok2","key":12,"title":"fine too"}',
    ]);
    expect(results.status).toBe(200);
    expect(
      results.text.split('\n').map((l) => (JSON.parse(l) as { success: boolean; code?: number }).code ?? 200),
    ).toEqual([200, 400, 400, 400, 200]);
    const found = await ts
      .collections<{ id: string }>(FIDELITY)
      .documents()
      .search({ q: '*', filter_by: 'key:[10..12]' });
    expect(found.hits?.map((h) => h.document.id).sort()).toEqual(['ok1', 'ok2']);
  });

  it('refuses what it does not serve with the reason', async () => {
    const upsert = await importLines(['{"id":"u","key":20,"title":"x"}'], 'upsert');
    expect(upsert.status).toBe(400);
    expect(upsert.text).toContain('action=create');
    expect((await api('/multi_search', { method: 'POST', body: '{"searches":[]}' })).status).toBe(404);
  });
});

describe('typesense stand-in: exports at scale', () => {
  it(`keyset-scans all ${BLOG_POSTS} blog posts: every id once, in order, found right`, async () => {
    const docs = ts.collections<{ hs_object_id: number }>('blog_posts').documents();
    const seen: number[] = [];
    let last = 0;
    const started = performance.now();
    for (;;) {
      const r = await docs.search({
        q: '*',
        filter_by: `portal_id:=${DEMO_PORTAL_ID} && hs_object_id:>${last}`,
        sort_by: 'hs_object_id:asc',
        per_page: 250,
        include_fields: 'hs_object_id',
      });
      expect(r.found).toBe(BLOG_POSTS - seen.length);
      const hits = r.hits ?? [];
      for (const h of hits) seen.push(h.document.hs_object_id);
      if (hits.length < 250) break;
      last = seen[seen.length - 1] ?? last;
    }
    log('test', `keyset scan of ${seen.length} docs in ${Math.round(performance.now() - started)} ms`);
    expect(seen).toHaveLength(BLOG_POSTS);
    const expected = Array.from({ length: BLOG_POSTS }, (_, i) => demoObjectId('blog_posts', i)).sort((a, b) => a - b);
    expect(seen).toEqual(expected);
  });

  it('streams a filtered JSONL export in insertion order, no trailing newline, exact documents', async () => {
    const stream = await ts
      .collections('blog_posts')
      .documents()
      .exportStream({ filter_by: 'state:=DRAFT && archived:true' });
    // Chunks are Buffers cut anywhere, even inside a multi-byte character: decode the whole body once.
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.endsWith('\n')).toBe(false);
    const lines = text.split('\n');
    const expected = [];
    for (let i = 0; i < BLOG_POSTS; i++) {
      const d = demoDocument('blog_posts', i);
      if (d.state === 'DRAFT' && d.archived) expected.push(d);
    }
    expect(lines.length).toBe(expected.length);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected);
    const found = (
      await ts
        .collections('blog_posts')
        .documents()
        .search({ q: '*', filter_by: 'state:=DRAFT && archived:true', per_page: 0 })
    ).found;
    expect(found).toBe(expected.length);
  });

  it('exports with include_fields, and an empty result as an empty body', async () => {
    const text = await ts
      .collections('partner_blog_posts')
      .documents()
      .export({ include_fields: 'hs_object_id,title' });
    const rows = text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(1_000);
    expect(rows[0]).toEqual({
      hs_object_id: demoObjectId('partner_blog_posts', 0),
      title: demoDocument('partner_blog_posts', 0).title,
    });
    expect(await ts.collections('partner_blog_posts').documents().export({ filter_by: 'portal_id:=1' })).toBe('');
  });

  it(`stops page paging at the default limit_hits (1,000,000) on ${TINY_COUNT} docs`, async () => {
    const started = performance.now();
    await seedTinyCollection({ db, log }, 'ts_test_tiny', TINY_COUNT);
    log('test', `seeded ${TINY_COUNT} tiny docs in ${Math.round(performance.now() - started)} ms`);
    try {
      const docs = ts.collections<{ hs_object_id: number }>('ts_test_tiny').documents();
      const last = await docs.search({ q: '*', per_page: 250, page: 4000, sort_by: 'hs_object_id:asc' });
      expect(last.found).toBe(TINY_COUNT);
      expect(last.hits?.map((h) => h.document.hs_object_id)).toEqual(
        Array.from({ length: 250 }, (_, i) => 999_751 + i),
      );
      const t = performance.now();
      const past = await docs.search({ q: '*', per_page: 250, page: 4001, sort_by: 'hs_object_id:asc' });
      expect(past.hits).toEqual([]);
      expect(past.found).toBe(TINY_COUNT);
      expect(past.out_of).toBe(TINY_COUNT);
      expect(performance.now() - t).toBeLessThan(5_000);
      // Keyset paging has no such ceiling.
      const keyset = await docs.search({
        q: '*',
        per_page: 250,
        filter_by: 'hs_object_id:>1000000',
        sort_by: 'hs_object_id:asc',
      });
      expect(keyset.hits?.map((h) => h.document.hs_object_id)).toEqual(
        Array.from({ length: 100 }, (_, i) => 1_000_001 + i),
      );
    } finally {
      await ts.collections('ts_test_tiny').delete();
    }
  });
});

describe('typesense stand-in: fault injection', () => {
  const faults = `${stack.apiUrl}/_devstack/faults`;
  afterAll(async () => {
    await fetch(faults, { method: 'DELETE' });
  });

  it('answers 503 when told to fail, and the client retries past one failure', async () => {
    await fetch(faults, { method: 'PUT', body: JSON.stringify({ typesense: { failNext: 1 } }) });
    const failed = await failure(client({ numRetries: 0 }).collections('blog_posts').documents().search({ q: '*' }));
    expect(failed.httpStatus).toBe(503);
    expect(failed.message).toContain('Not Ready or Lagging');

    await fetch(faults, { method: 'PUT', body: JSON.stringify({ typesense: { failNext: 1 } }) });
    const retried = await client({ numRetries: 2 })
      .collections('blog_posts')
      .documents()
      .search({ q: '*', per_page: 1 });
    expect(retried.found).toBe(BLOG_POSTS);

    await fetch(faults, { method: 'PUT', body: JSON.stringify({ typesense: { failNext: 1 } }) });
    const exportFailed = await fetch(`${stack.typesenseUrl}/collections/blog_posts/documents/export`, {
      headers: { 'X-TYPESENSE-API-KEY': stack.typesenseApiKey },
    });
    expect(exportFailed.status).toBe(503);
    expect(await exportFailed.json()).toEqual({ message: 'Not Ready or Lagging' });
  });
});
