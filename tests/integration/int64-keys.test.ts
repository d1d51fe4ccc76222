import { gunzipSync } from 'node:zlib';
import { createClient } from '@supabase/supabase-js';
import type pg from 'pg';
import Typesense from 'typesense';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExport } from '../../lib/exports/start-export';
import type { ExportShard } from '../../lib/exports/types';
import { exactJsonFetch, parseExactJson } from '../../supabase/functions/_shared/exact-json.ts';
import { encodeShard, type ExportDocument } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import { typesenseClientOptions } from '../../supabase/functions/_shared/typesense-nodes.ts';
import { serviceClient } from './clients';
import { appTypesense, createSource, createTenant, superuserPool, waitForJob, type Tenant } from './export-fixtures';
import { testStack } from './stack-info';

/**
 * Keys above 2^53 (valid Typesense int64s) stay exact end to end: the app plans lanes on them, the worker
 * pages on them (cursor and lane ranges compared as bigint), the manifest stores them, and the file holds
 * them digit for digit — and so do other int64 values of the records. 2^53 + 1 = 9007199254740993 is the
 * first integer a float64 cannot hold: `JSON.parse` reads it as 9007199254740992.
 */
const COLLECTION = 'int64_posts';
const PORTAL = 5353;
const RECORDS = 600;
/** Keys run across 2^53: 300 below it, 300 from 2^53 on. */
const FIRST_KEY = 2n ** 53n - 300n;
const MAX_INT64 = '9223372036854775807';

let db: pg.Pool;
let tenant: Tenant;
let sourceId: string;

/** The records as JSON text: the exact digits are the truth (no JS number can carry them). */
function recordLine(i: number): string {
  const key = FIRST_KEY + BigInt(i);
  return `{"id":"r${i}","hs_object_id":${key},"portal_id":${PORTAL},"title":"-12.5 #${i}","views":${MAX_INT64},"delta":-${key},"score":-${i}.5}`;
}

function exactTypesense() {
  const stack = testStack();
  return new Typesense.Client(
    typesenseClientOptions(stack.typesenseUrl, stack.typesenseApiKey, {
      connectionTimeoutSeconds: 30,
      retriesPerNode: 1,
    }),
  );
}

beforeAll(async () => {
  db = superuserPool();
  const typesense = exactTypesense();
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
      { name: 'views', type: 'int64' },
      { name: 'delta', type: 'int64' },
      { name: 'score', type: 'float' },
    ],
    default_sorting_field: 'hs_object_id',
  });
  const jsonl = Array.from({ length: RECORDS }, (_, i) => recordLine(i)).join('\n');
  const results = await typesense.collections(COLLECTION).documents().import(jsonl, { action: 'create' });
  expect(String(results)).not.toContain('"success":false');
  tenant = await createTenant(db, 'Int64 agency');
  sourceId = await createSource(db, tenant.organisationId, COLLECTION, `portal_id:=${PORTAL}`);
}, 120_000);

afterAll(() => db.end());

describe('int64 keys above 2^53', () => {
  // Record 301 has the key 2^53 + 1; its text starts with "-", its numbers are negative.
  const row301 = {
    guarded: "\r\n9007199254740993,'-12.5 #301,9223372036854775807,-9007199254740993,-301.5\r\n",
    unguarded: '\r\n9007199254740993,-12.5 #301,9223372036854775807,-9007199254740993,-301.5\r\n',
    ndjson:
      '\n{"hs_object_id":9007199254740993,"title":"-12.5 #301","views":9223372036854775807,"delta":-9007199254740993,"score":-301.5}\n',
  };

  it.each([
    ['csv', true, row301.guarded],
    ['ndjson', true, row301.ndjson],
    ['csv', false, row301.unguarded],
  ] as const)(
    'export exactly in %s (formula guard %s), across two lanes, every key and int64 value digit for digit',
    async (format, neutraliseFormulas, expectedRow) => {
      const fields = ['hs_object_id', 'title', 'views', 'delta', 'score'];
      const admin = createClient(testStack().apiUrl, testStack().secretKey, {
        auth: { persistSession: false, autoRefreshToken: false },
        global: { fetch: exactJsonFetch() },
      });
      const job = await startExport(
        { user: { supabase: tenant.client, userId: tenant.userId }, admin, typesense: appTypesense() },
        { sourceId, format, fields, lanes: 2, neutraliseFormulas },
      );
      expect(job.estimated_rows).toBe(RECORDS);
      expect(job.neutralise_formulas).toBe(neutraliseFormulas);
      // The lane bound is a key of the range, exact (a rounded one would be even: 2^53 and up are).
      expect(job.lane_bounds).toHaveLength(1);
      const bound = BigInt(job.lane_bounds[0]!);
      expect(bound > FIRST_KEY && bound < FIRST_KEY + BigInt(RECORDS)).toBe(true);

      const done = await waitForJob(job.id, (j) => ['completed', 'failed', 'cancelled'].includes(j.status), {
        timeoutMs: 60_000,
        sweep: true,
      });
      expect(done.last_error).toBeNull();
      expect(done).toMatchObject({ status: 'completed', rows_written: RECORDS });

      // The manifest, read with exact digits, and the file as the download assembles it.
      const { data, error } = await admin
        .from('export_shards')
        .select('*')
        .eq('job_id', job.id)
        .order('lane')
        .order('lane_seq')
        .returns<ExportShard[]>();
      if (error) throw error;
      const lastKeys = data.map((s) => BigInt(s.key_last));
      expect(lastKeys.at(-1)).toBe(FIRST_KEY + BigInt(RECORDS - 1));
      expect(lastKeys).toContain(bound);
      let file = '';
      for (const [n, shard] of data.entries()) {
        const object = await serviceClient().storage.from(EXPORTS_BUCKET).download(shard.storage_key);
        if (object.error) throw object.error;
        const stored = new Uint8Array(await object.data.arrayBuffer());
        const bytes = shard.encoding === 'gzip' ? new Uint8Array(gunzipSync(stored)) : stored;
        file += new TextDecoder().decode(n === 0 ? bytes : bytes.subarray(shard.header_bytes));
      }

      const documents = Array.from({ length: RECORDS }, (_, i) => parseExactJson(recordLine(i)) as ExportDocument);
      const expected = new TextDecoder().decode(encodeShard(documents, { format, fields, neutraliseFormulas }).bytes);
      expect(file).toBe(expected);
      // Spelled out: exact int64s, numbers never guarded, text guarded only when the job asks for it.
      expect(file).toContain(expectedRow);
    },
    90_000,
  );
});
