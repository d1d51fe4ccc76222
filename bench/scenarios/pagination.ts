import { demoKeyBound } from '../lib/export-run';
import { ms, num, ratio, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import { median } from '../lib/stats';
import { seedTinyCollection } from '../../devstack/seed/seed-demo-data';
import { composePageFilter, filterUnderScope } from '../../supabase/functions/_shared/export-filter.ts';
import type { ExportDocument } from '../../supabase/functions/_shared/export-format.ts';

/**
 * Scenario 9 — why the worker pages by key: page N of 250 at increasing depth, once as page-number
 * paging (`page=N`: the engine must walk past (N−1)·250 hits) and once as the worker's keyset page
 * (`hs_object_id:>last`, `page=1`: an index range scan that costs the same at any depth). Each request
 * is repeated and the median kept.
 *
 * The demo source (blog_posts, 100,000 by default) only goes 400 pages deep, so the deep pages run on a
 * second, cheap collection of 1,000,250 tiny documents `{hs_object_id}` built in SQL, which also shows
 * Typesense's `limit_hits` cut-off (1,000,000 by default): page 4,001 by number is empty, by key it is not.
 * Both against the devstack's Typesense stand-in (Postgres OFFSET vs index range scan); real Typesense
 * also collects `offset + per_page` hits a request and stops at `limit_hits`, so the shape is the same.
 */
const REPEATS = 5;
const PER_PAGE = 250;
const DEMO_FILTER = 'portal_id:=12345';
const TINY = 'bench_tiny_keys';
const TINY_COUNT = 1_000_250;

type Probe = {
  source: string;
  collection: string;
  mandatoryFilter: string | null;
  page: number;
  afterKey: number | null;
};

export const pagination: Scenario = {
  name: 'pagination',
  title: '9. Pagination cost vs depth',
  recordsNeeded: () => 0,
  run: async (ctx: BenchContext) => {
    const { stack, options } = ctx;
    ctx.log(`pagination: seeding ${num(TINY_COUNT)} tiny documents …`);
    await seedTinyCollection(stack.devstack.context, TINY, TINY_COUNT);

    const search = async (collection: string, filter: string | null, page: number) => {
      const started = performance.now();
      const response = await stack.typesense
        .collections<ExportDocument>(collection)
        .documents()
        .search({ q: '*', filter_by: filter ?? undefined, sort_by: 'hs_object_id:asc', per_page: PER_PAGE, page });
      return {
        ms: performance.now() - started,
        hits: response.hits?.length ?? 0,
        firstKey: response.hits?.[0]?.document.hs_object_id,
      };
    };

    const demoPages = options.pages.filter((p) => p * PER_PAGE <= stack.blogPosts);
    const tinyPages = [...new Set([...options.pages.filter((p) => p * PER_PAGE <= TINY_COUNT), 4001])].sort(
      (a, b) => a - b,
    );
    const probes: Probe[] = [
      // The worker's key after (page − 1) full pages: the largest key below the page (see demoKeyBound).
      ...demoPages.map((page) => ({
        source: 'blog_posts (demo)',
        collection: 'blog_posts',
        mandatoryFilter: DEMO_FILTER,
        page,
        afterKey: page === 1 ? null : demoKeyBound((page - 1) * PER_PAGE) - 7,
      })),
      // Tiny keys are 1…count in order.
      ...tinyPages.map((page) => ({
        source: `tiny (${num(TINY_COUNT)} docs)`,
        collection: TINY,
        mandatoryFilter: null,
        page,
        afterKey: page === 1 ? null : (page - 1) * PER_PAGE,
      })),
    ];

    const rows: Table['rows'] = [];
    const data = [];
    for (const probe of probes) {
      const keysetFilter = filterUnderScope(
        composePageFilter({ keyField: 'hs_object_id', userFilter: null, afterKey: probe.afterKey, lastKey: null }),
        probe.mandatoryFilter,
      );
      const byPage: number[] = [];
      const byKey: number[] = [];
      let hits = { page: 0, key: 0 };
      for (let i = 0; i < REPEATS; i += 1) {
        const numbered = await search(probe.collection, probe.mandatoryFilter, probe.page);
        const keyset = await search(probe.collection, keysetFilter || null, 1);
        hits = { page: numbered.hits, key: keyset.hits };
        if (numbered.hits > 0 && numbered.firstKey !== keyset.firstKey)
          throw new Error(`${probe.collection} page ${probe.page}: keyset and page-number paging disagree`);
        byPage.push(numbered.ms);
        byKey.push(keyset.ms);
      }
      rows.push([
        probe.source,
        num(probe.page),
        num((probe.page - 1) * PER_PAGE),
        `${ms(median(byPage), 1)}${hits.page === 0 ? ' (0 hits: limit_hits)' : ''}`,
        `${ms(median(byKey), 1)}${hits.key === 0 ? ' (0 hits)' : ''}`,
        ratio(median(byPage) / median(byKey), 1),
      ]);
      data.push({
        ...probe,
        pageNumberMs: median(byPage),
        keysetMs: median(byKey),
        hits,
        samples: { pageNumber: byPage, keyset: byKey },
      });
    }
    await stack.typesense.collections(TINY).delete();
    return {
      tables: [
        {
          title: `${pagination.title} (${PER_PAGE} a page, sort hs_object_id:asc, median of ${REPEATS})`,
          columns: [
            'collection',
            'page',
            'records before it',
            'page-number paging',
            'keyset (worker)',
            'page ÷ keyset',
          ],
          rows,
          notes: [
            'Same filter and sort both ways; where both return hits they return the same records (checked).',
            'Page-number paging stops at limit_hits (1,000,000 by default): page 4,001 comes back empty. Keyset has no such limit.',
          ],
        },
      ],
      data,
    };
  },
};
