import type { SupabaseClient } from '@supabase/supabase-js';
import type { Client as TypesenseClient } from 'typesense';
import { composePageFilter, filterUnderScope } from '../../supabase/functions/_shared/export-filter.ts';
import type { ExportDocument } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';

/**
 * The two physical bounds of an export, measured with the same official clients the worker uses: reading
 * the source (the worker's exact keyset pages, read and discarded) and writing storage (the same number
 * of objects of the same sizes). The worker does both one after the other per shard, so their sum is
 * what an export would take with zero overhead of its own (encoding, hashing, manifest, hand-offs).
 */

export type ScanSpec = {
  collection: string;
  keyField: string;
  mandatoryFilter: string | null;
  userFilter: string | null;
  fields: string[];
  pageSize: number;
};

export async function scanSource(
  typesense: TypesenseClient,
  spec: ScanSpec,
): Promise<{ ms: number; records: number; pages: number }> {
  const started = performance.now();
  let afterKey: number | null = null;
  let records = 0;
  let pages = 0;
  for (;;) {
    // Typed here: the loop's afterKey would otherwise make the inference circular.
    const response: { hits?: Array<{ document: ExportDocument }> } = await typesense
      .collections<ExportDocument>(spec.collection)
      .documents()
      .search({
        q: '*',
        // The filter the worker's scoped key makes of its page filter, searched with the bench's own key.
        filter_by: filterUnderScope(
          composePageFilter({ keyField: spec.keyField, userFilter: spec.userFilter, afterKey, lastKey: null }),
          spec.mandatoryFilter,
        ),
        sort_by: `${spec.keyField}:asc`,
        per_page: spec.pageSize,
        page: 1,
        include_fields: spec.fields.join(','),
      });
    pages += 1;
    const hits = response.hits ?? [];
    records += hits.length;
    const last: unknown = hits.at(-1)?.document[spec.keyField];
    if (hits.length < spec.pageSize || typeof last !== 'number') break;
    afterKey = last;
  }
  return { ms: performance.now() - started, records, pages };
}

/** Uploads one object per size, one at a time like the worker, then removes them. */
export async function writeObjects(
  admin: SupabaseClient,
  prefix: string,
  sizes: readonly number[],
): Promise<{ ms: number; bytes: number }> {
  const bucket = admin.storage.from(EXPORTS_BUCKET);
  const largest = Math.max(...sizes);
  // Same-size text, not the shard bytes: storage does not look inside an object.
  const filler = new TextEncoder().encode('0123456789abcdef,"quoted",\n'.repeat(Math.ceil(largest / 27)));
  const keys: string[] = [];
  let bytes = 0;
  const started = performance.now();
  for (const [i, size] of sizes.entries()) {
    const key = `${prefix}/object-${String(i).padStart(6, '0')}.csv`;
    const { error } = await bucket.upload(key, filler.subarray(0, size), {
      contentType: 'text/csv',
      upsert: true,
      cacheControl: 'no-store',
    });
    if (error) throw new Error(`upload ${key}: ${error.message}`);
    keys.push(key);
    bytes += size;
  }
  const ms = performance.now() - started;
  for (let i = 0; i < keys.length; i += 500) await bucket.remove(keys.slice(i, i + 500));
  return { ms, bytes };
}
