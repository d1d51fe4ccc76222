import type { Pool } from 'pg';
import { normalizeCollection, unindexedFields, type CollectionInput } from '../typesense/schema';
import { bulkCreateCollection, dropCollection, ensureStore, findCollection } from '../typesense/store';
import { defaultDemoCount, demoCollectionSchema, demoDocument, type DemoKind } from './demo-data';

/** What seeding needs: a superuser pool and a logger. Narrower than DevstackContext so tests can call it. */
export type SeedContext = {
  db: Pool;
  log: (service: string, message: string) => void;
};

export type SeedOptions = {
  blogPosts: number;
  sitePages?: number;
  landingPages?: number;
  partnerBlogPosts?: number;
  /** Drop and rebuild even collections that already hold the requested count. */
  force?: boolean;
};

export type SeedReport = Array<{ collection: string; documents: number; skipped: boolean; ms: number }>;

/**
 * Documents per INSERT. 2,000 docs of ~2 KB ≈ 4 MB of JSON per statement: large enough that round trips
 * don't matter, small enough to keep the seeding process's memory flat.
 */
const BATCH = 2000;

/**
 * Seeds the demo collections (blog_posts, site_pages, landing_pages, partner_blog_posts). Idempotent: a
 * collection already holding exactly the requested number of documents is left alone unless `force`.
 * A count of 0 skips that collection; `blogPosts: 0` with no other counts seeds nothing.
 */
export async function seedDemoData(ctx: SeedContext, options: SeedOptions): Promise<SeedReport> {
  await ensureStore(ctx.db);
  // blogPosts: 0 means "no demo data" (the integration setup's setting), so the others default to 0 too.
  const others = (kind: DemoKind, n: number | undefined) => n ?? (options.blogPosts > 0 ? defaultDemoCount(kind) : 0);
  const plan: Array<[DemoKind, number]> = [
    ['blog_posts', options.blogPosts],
    ['site_pages', others('site_pages', options.sitePages)],
    ['landing_pages', others('landing_pages', options.landingPages)],
    ['partner_blog_posts', others('partner_blog_posts', options.partnerBlogPosts)],
  ];

  const report: SeedReport = [];
  for (const [kind, count] of plan) {
    if (count <= 0) continue;
    const started = performance.now();
    const existing = await findCollection(ctx.db, kind);
    if (existing && existing.numDocuments === count && !options.force) {
      report.push({ collection: kind, documents: count, skipped: true, ms: 0 });
      continue;
    }
    if (existing) await dropCollection(ctx.db, kind);
    await insertDocuments(ctx.db, demoCollectionSchema(kind), count, (i) => demoDocument(kind, i));
    const ms = Math.round(performance.now() - started);
    ctx.log('seed', `${kind}: ${count} documents in ${ms} ms`);
    report.push({ collection: kind, documents: count, skipped: false, ms });
  }
  return report;
}

/**
 * Creates a collection and bulk-inserts `count` generated documents in index order (seq = index order).
 * The next batch's JSON is built while Postgres writes the current one, so both cores work.
 */
async function insertDocuments(
  db: Pool,
  input: CollectionInput,
  count: number,
  make: (i: number) => { id: string },
): Promise<void> {
  const schema = normalizeCollection(input);
  const unindexed = unindexedFields(schema);
  // Built in slices of 100 docs with an event-loop turn between them: node-pg hands the previous batch's
  // ~4 MB to the socket only as the kernel buffer drains, and a synchronous 2,000-doc loop would hold
  // that back until it finished, serialising generation and insertion (measured 7.6 s vs ~5 s).
  const jsonl = async (start: number): Promise<string> => {
    const lines: string[] = [];
    const end = Math.min(count, start + BATCH);
    for (let i = start; i < end; i++) {
      lines.push(JSON.stringify(make(i)));
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    return lines.join('\n');
  };
  await bulkCreateCollection(db, schema, async (client, table, collectionId) => {
    let next = await jsonl(0);
    for (let start = 0; start < count; start += BATCH) {
      const write = client.query(
        // One text parameter of JSONL: JSON.stringify escapes every newline inside values, so "\n" only
        // separates documents. `offset 0` stops Postgres from inlining the lateral, which would parse
        // each line once per use of `d`.
        `insert into ${table} (collection_id, id, doc, attrs)
         select $1::int, d->>'id', t.line, d - $3::text[]
         from string_to_table($2::text, E'\\n') with ordinality as t(line, ord),
              lateral (select t.line::jsonb as d offset 0) as j
         order by t.ord`,
        [collectionId, next, unindexed],
      );
      next = start + BATCH < count ? await jsonl(start + BATCH) : '';
      await write;
    }
  });
}

/**
 * A cheap collection of `count` tiny documents built entirely in SQL (generate_series), for tests that need
 * Typesense-scale row counts (e.g. 1,000,100 to cross the default limit_hits of 1,000,000). Documents:
 * `{id, hs_object_id}` with hs_object_id = 1..count in insertion order.
 */
export async function seedTinyCollection(ctx: SeedContext, name: string, count: number): Promise<void> {
  await ensureStore(ctx.db);
  const started = performance.now();
  const existing = await findCollection(ctx.db, name);
  if (existing) await dropCollection(ctx.db, name);
  const schema = normalizeCollection({
    name,
    fields: [{ name: 'hs_object_id', type: 'int64' }],
  });
  await bulkCreateCollection(ctx.db, schema, async (client, table, collectionId) => {
    await client.query(
      `insert into ${table} (collection_id, id, doc, attrs)
       select $1::int, i::text, d::text, d
       from generate_series(1, $2::bigint) as i,
            lateral (select jsonb_build_object('id', i::text, 'hs_object_id', i) as d offset 0) as j`,
      [collectionId, count],
    );
  });
  ctx.log('seed', `${name}: ${count} tiny documents in ${Math.round(performance.now() - started)} ms`);
}
