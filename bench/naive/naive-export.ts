import { writeFile } from 'node:fs/promises';
import Typesense from 'typesense';
import { composePageFilter, filterUnderScope } from '../../supabase/functions/_shared/export-filter.ts';
import { encodeShard, type ExportDocument } from '../../supabase/functions/_shared/export-format.ts';

/**
 * The strategy Baton exists to avoid, for comparison: page through the whole result set (the same keyset
 * pages the worker reads, with the official client), keep every record, then encode and write one file.
 * Run under the same V8 heap cap as the worker (`node --max-old-space-size=64`); its memory grows with
 * the export until the cap kills it. Reports a JSON line per page on stdout so the parent knows how far
 * it got before dying.
 *
 * Env: TYPESENSE_URL, TYPESENSE_API_KEY, COLLECTION, KEY_FIELD, MANDATORY_FILTER, USER_FILTER (optional),
 * FIELDS (comma-separated), OUT (file to write).
 */
const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const url = new URL(env('TYPESENSE_URL'));
const typesense = new Typesense.Client({
  nodes: [{ host: url.hostname, port: Number(url.port), protocol: url.protocol.replace(':', '') }],
  apiKey: env('TYPESENSE_API_KEY'),
  connectionTimeoutSeconds: 60,
  logLevel: 'silent',
});
const keyField = env('KEY_FIELD');
const fields = env('FIELDS').split(',');
const report = (extra: Record<string, unknown>) => {
  const memory = process.memoryUsage();
  console.log(JSON.stringify({ heapUsed: memory.heapUsed, rss: memory.rss, ...extra }));
};

const everything: ExportDocument[] = [];
let afterKey: number | null = null;
for (;;) {
  // Typed here: the loop's afterKey would otherwise make the inference circular.
  const page: { hits?: Array<{ document: ExportDocument }> } = await typesense
    .collections<ExportDocument>(env('COLLECTION'))
    .documents()
    .search({
      q: '*',
      filter_by: filterUnderScope(
        composePageFilter({ keyField, userFilter: process.env.USER_FILTER || null, afterKey, lastKey: null }),
        env('MANDATORY_FILTER'),
      ),
      sort_by: `${keyField}:asc`,
      per_page: 250,
      include_fields: fields.join(','),
    });
  const documents = (page.hits ?? []).map((hit) => hit.document);
  everything.push(...documents);
  report({ records: everything.length });
  const last: unknown = documents.at(-1)?.[keyField];
  if (documents.length < 250 || typeof last !== 'number') break;
  afterKey = last;
}
const encoded = encodeShard(everything, { format: 'csv', fields, neutraliseFormulas: true });
await writeFile(env('OUT'), encoded.bytes);
report({ records: everything.length, done: true, bytes: encoded.bytes.length });
