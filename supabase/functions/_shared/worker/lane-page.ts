import type { CpuMeter } from '../cpu-meter.ts';
import { integerOf } from '../exact-json.ts';
import { ExportError } from '../export-error.ts';
import { checkFilterTokens, checkUserFilter, composePageFilter } from '../export-filter.ts';
import { encodeShard, type EncodedShard, type ExportDocument } from '../export-format.ts';
import { gzipShard, type GzipShard } from '../gzip-shard.ts';
import { sha256Hex } from '../sha256.ts';
import type { ClaimedJob } from '../worker-rpc-results.ts';
import type { WorkerPorts } from './ports.ts';

/**
 * A lane's pages as the source gives them (keyset: the records after a key, up to the lane's upper
 * bound, in key order) and as storage takes them (encoded, gzipped, hashed). No writes: the page
 * pipeline, the heir's warm-up and its read-ahead all read pages through here.
 */

/** A fetched page: the documents and the key of the last one; `shard` when it is already encoded. */
export type Page = { documents: ExportDocument[]; lastKey: bigint | null; shard?: PreparedShard };

/** A page encoded for storage: the plain bytes (what the file is made of) and the gzip member stored. */
export type PreparedShard = { encoded: EncodedShard; sha256: string; gzipped: GzipShard; gzipSha256: string };

/**
 * A page being read: `fetched` resolves when its documents are in (its last key lets the next fetch
 * start), `shard` once they are encoded.
 */
export type PageRead = { fetched: Promise<Page>; shard: Promise<PreparedShard> };

/**
 * Why the job's filter cannot be paged on (too long, unbalanced, too many tokens), or null: a clear
 * failure before any search. The organisation's scope does not rest on it (scoped-search-page.ts).
 */
export function jobFilterProblem(job: ClaimedJob): ExportError | null {
  const filterCheck = job.filter ? checkUserFilter(job.filter) : ({ ok: true } as const);
  if (!filterCheck.ok) return new ExportError('bad_filter', filterCheck.message, false);
  const tokenCheck = checkFilterTokens({
    keyField: job.key_field,
    mandatoryFilter: job.mandatory_filter,
    userFilter: job.filter,
  });
  if (!tokenCheck.ok) return new ExportError('bad_filter', tokenCheck.message, false);
  return null;
}

/** One keyset page of a lane: the documents after `afterKey`, up to `lastKey` (null: unbounded). */
export async function fetchLanePage(
  ports: Pick<WorkerPorts, 'searchPage'>,
  job: ClaimedJob,
  afterKey: bigint | null,
  lastKey: bigint | null,
): Promise<Page> {
  const documents = await ports.searchPage({
    collection: job.collection,
    mandatoryFilter: job.mandatory_filter,
    filterBy: composePageFilter({ keyField: job.key_field, userFilter: job.filter, afterKey, lastKey }),
    sortBy: `${job.key_field}:asc`,
    perPage: job.page_size,
    includeFields: job.fields.includes(job.key_field) ? job.fields : [...job.fields, job.key_field],
  });
  if (documents.length === 0) return { documents, lastKey: null };
  // Exact: a key above 2^53 arrives as a raw JSON number (exact-json-adapter.ts), read as a bigint.
  const last = integerOf(documents[documents.length - 1]?.[job.key_field]);
  if (last === undefined) {
    throw new ExportError('schema_mismatch', `Record without an integer ${job.key_field}: cannot page on it.`, false);
  }
  return { documents, lastKey: last };
}

/**
 * Encodes a page as the file's bytes and as the gzip member stored; the manifest keeps both forms' sizes
 * and checksums (the plain ones make the file byte-identical and let a re-run compare; the download
 * verifies the stored ones).
 */
export async function prepareShard(
  job: ClaimedJob,
  documents: readonly ExportDocument[],
  meter: CpuMeter,
): Promise<PreparedShard> {
  // The bulk of a page's CPU (~12 ms of ~15 ms a 250-record page): timed, for the meter's estimate. The
  // digests below run off the isolate's thread (Web Crypto in Deno is an async op on its blocking pool).
  const { encoded, gzipped } = meter.time(() => {
    const encoded = encodeShard(documents, {
      format: job.format,
      fields: job.fields,
      neutraliseFormulas: job.neutralise_formulas,
    });
    return { encoded, gzipped: gzipShard(encoded) };
  });
  return { encoded, sha256: await sha256Hex(encoded.bytes), gzipped, gzipSha256: await sha256Hex(gzipped.bytes) };
}

/**
 * Reads a page beside the write before it: the encoding (~18 ms of CPU) starts as soon as the documents
 * arrive — or not at all when the heir read the page ahead and encoded it already — so it runs while the
 * page before is still uploading and being recorded.
 */
export function readPage(fetched: Promise<Page>, job: ClaimedJob, meter: CpuMeter): PageRead {
  const shard = fetched.then((page) =>
    page.shard ? Promise.resolve(page.shard) : prepareShard(job, page.documents, meter),
  );
  // Failures are seen where they are awaited.
  fetched.catch(() => {});
  shard.catch(() => {});
  return { fetched, shard };
}
