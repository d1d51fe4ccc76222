import { createHash } from 'node:crypto';
import { composePageFilter, filterUnderScope } from '../../supabase/functions/_shared/export-filter.ts';
import { encodeShard, type ExportDocument } from '../../supabase/functions/_shared/export-format.ts';
import type { BenchStack } from './stack';

/**
 * sha256 of a single-pass CSV of the demo blog posts a bench export read (its filter, all fields): the
 * records streamed from Typesense's export endpoint — another path than the worker's keyset pages — and
 * encoded a thousand at a time with the header once. Equal to the export's download, byte for byte.
 */
export async function referenceSha256(stack: BenchStack, userFilter: string | null): Promise<string> {
  const { rows } = await stack.db.query<{ fields: string[]; mandatory_filter: string | null; key_field: string }>(
    `select fields, mandatory_filter, key_field from public.export_jobs
     where organisation_id = $1 and collection = 'blog_posts' order by created_at desc limit 1`,
    [stack.user.organisationId],
  );
  const job = rows[0];
  if (!job) throw new Error('no bench export to compare with');
  const filterBy = filterUnderScope(
    composePageFilter({ keyField: job.key_field, userFilter, afterKey: null }),
    job.mandatory_filter,
  );
  const stream = (await stack.typesense
    .collections('blog_posts')
    .documents()
    .exportStream(filterBy ? { filter_by: filterBy } : {})) as unknown as AsyncIterable<Buffer>;
  // Typesense's export is in insertion order (the demo shuffles keys within blocks); the file is in key
  // order, so the records are collected and sorted (a bench-sized set: ~200 MB for 100,000).
  const all: ExportDocument[] = [];
  let carry = '';
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line) all.push(JSON.parse(line) as ExportDocument);
  }
  if (carry) all.push(JSON.parse(carry) as ExportDocument);
  all.sort((a, b) => (a[job.key_field] as number) - (b[job.key_field] as number));
  const hash = createHash('sha256');
  for (let i = 0; i === 0 || i < all.length; i += 1000) {
    const encoded = encodeShard(all.slice(i, i + 1000), {
      format: 'csv',
      fields: job.fields,
      neutraliseFormulas: true,
    });
    hash.update(i === 0 ? encoded.bytes : encoded.bytes.subarray(encoded.headerBytes));
  }
  return hash.digest('hex');
}
