import { createHash, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import Typesense from 'typesense';
import { encodeShard, type ExportDocument, type ExportFormat } from '../../supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET } from '../../supabase/functions/_shared/shard-key.ts';
import type { ExportJob, ExportShard } from '../../lib/exports/types';
import { typesenseAccess, type TypesenseAccess } from '../../lib/typesense/client';
import { serviceClient } from './clients';
import { testStack } from './stack-info';

/** Shared set-up for export tests: tenants, a seeded collection, and byte-exact digests of output. */

export function superuserPool(): pg.Pool {
  return new pg.Pool({ connectionString: testStack().pgConnectionString, max: 4 });
}

export function typesenseClient() {
  const stack = testStack();
  const url = new URL(stack.typesenseUrl);
  return new Typesense.Client({
    nodes: [{ host: url.hostname, port: Number(url.port), protocol: 'http' }],
    apiKey: stack.typesenseApiKey,
    connectionTimeoutSeconds: 60,
    logLevel: 'silent',
  });
}

/** Typesense as the app's routes use it: schemas with the bootstrap key, searches under a source's scoped key. */
export function appTypesense(): TypesenseAccess {
  const stack = testStack();
  return typesenseAccess({
    url: stack.typesenseUrl,
    apiKey: stack.typesenseApiKey,
    searchKey: stack.typesenseSearchKey,
  });
}

export type Tenant = {
  organisationId: string;
  userId: string;
  email: string;
  /** Signed in through Supabase Auth; RLS applies. */
  client: SupabaseClient;
  accessToken: string;
};

/** An organisation with one signed-in member. */
export async function createTenant(db: pg.Pool, name: string): Promise<Tenant> {
  const stack = testStack();
  const email = `${name.toLowerCase().replace(/\W+/g, '-')}-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'correct horse battery';
  const admin = serviceClient();
  const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (created.error) throw created.error;
  const client = createClient(stack.apiUrl, stack.publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const signedIn = await client.auth.signInWithPassword({ email, password });
  if (signedIn.error) throw signedIn.error;
  const organisationId = (
    await db.query<{ id: string }>('insert into public.organisations (name) values ($1) returning id', [name])
  ).rows[0]!.id;
  await db.query('insert into public.memberships (organisation_id, user_id) values ($1, $2)', [
    organisationId,
    created.data.user.id,
  ]);
  return {
    organisationId,
    userId: created.data.user.id,
    email,
    client,
    accessToken: signedIn.data.session.access_token,
  };
}

export async function createSource(
  db: pg.Pool,
  organisationId: string,
  collection: string,
  mandatoryFilter: string | null,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_sources (organisation_id, collection, label, mandatory_filter) values ($1, $2, $3, $4) returning id`,
    [organisationId, collection, collection, mandatoryFilter],
  );
  return rows[0]!.id;
}

const NASTY = [
  'Comma, separated',
  'He said "hello"',
  'Line one\nline two',
  'Carriage\r\nreturn',
  '=HYPERLINK("http://evil")',
  '+49 30 1234',
  '-starts with minus',
  '@mention',
  'ブログ記事のタイトル',
  'مقالة مدونة',
  'Статья в блоге',
  'Launch 🚀 day 🎉',
  '',
];

/**
 * A deterministic HubSpot-like record with the content real exports meet: delimiters, quotes, line
 * breaks, formula triggers, non-Latin scripts, emoji, empty and missing optional fields.
 */
export function testRecord(i: number, portalId: number, bodyBytes = 400): ExportDocument {
  const record: ExportDocument = {
    id: String(i),
    hs_object_id: 1_000_000 + i,
    portal_id: portalId,
    title: `${NASTY[i % NASTY.length]} #${i}`,
    state: ['PUBLISHED', 'DRAFT', 'SCHEDULED'][i % 3]!,
    tags: i % 5 === 0 ? [] : [`tag-${i % 7}`, `topic ${i % 11}`],
    archived: i % 17 === 0,
    updated_at: 1_700_000_000_000 + i * 1000,
    body: `<p>${'Lorem ipsum dolor sit amet, '.repeat(Math.ceil(bodyBytes / 28)).slice(0, bodyBytes)}</p>`,
  };
  if (i % 4 !== 0) record.meta_description = `Meta ${NASTY[(i + 3) % NASTY.length]}`;
  return record;
}

export const testFields = [
  'hs_object_id',
  'portal_id',
  'title',
  'state',
  'tags',
  'archived',
  'updated_at',
  'meta_description',
  'body',
];

/** Creates `name` and imports `count` test records (keys ascending, so insertion order = key order). */
export async function seedCollection(name: string, count: number, options: { portalId: number; bodyBytes?: number }) {
  const typesense = typesenseClient();
  await typesense
    .collections(name)
    .delete()
    .catch(() => undefined);
  await typesense.collections().create({
    name,
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
    default_sorting_field: 'hs_object_id',
  });
  const batch = 5000;
  for (let start = 0; start < count; start += batch) {
    const docs = Array.from({ length: Math.min(batch, count - start) }, (_, k) =>
      testRecord(start + k, options.portalId, options.bodyBytes),
    );
    const results = await typesense.collections(name).documents().import(docs, { action: 'create' });
    const failed = results.filter((r) => !r.success);
    if (failed.length > 0) throw new Error(`import failed: ${JSON.stringify(failed[0])}`);
  }
}

export type Digest = { sha256: string; bytes: number; rows: number };

/**
 * The reference: one single-pass encoding of every matching record, read with Typesense's export
 * endpoint (a different path from the worker's keyset search), hashed as it streams.
 */
export async function referenceDigest(options: {
  collection: string;
  filterBy: string;
  fields: string[];
  format: ExportFormat;
  neutraliseFormulas?: boolean;
}): Promise<Digest> {
  const stream = (await typesenseClient()
    .collections(options.collection)
    .documents()
    .exportStream({ filter_by: options.filterBy })) as unknown as AsyncIterable<Buffer>;
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let first = true;
  let pending: ExportDocument[] = [];
  let carry = '';
  let lastKey = -Infinity;
  const flush = () => {
    if (pending.length === 0 && !first) return;
    for (const doc of pending) {
      const key = doc.hs_object_id as number;
      if (key <= lastKey) throw new Error('the reference needs records imported in key order');
      lastKey = key;
    }
    const encoded = encodeShard(pending, {
      format: options.format,
      fields: options.fields,
      neutraliseFormulas: options.neutraliseFormulas ?? true,
    });
    const part = first ? encoded.bytes : encoded.bytes.subarray(encoded.headerBytes);
    hash.update(part);
    bytes += part.length;
    rows += pending.length;
    pending = [];
    first = false;
  };
  // A chunk may end inside a multi-byte character (Japanese, emoji): decode as a stream.
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line) pending.push(JSON.parse(line) as ExportDocument);
    if (pending.length >= 1000) flush();
  }
  if (carry) pending.push(JSON.parse(carry) as ExportDocument);
  flush();
  return { sha256: hash.digest('hex'), bytes, rows };
}

/** What the download will serve: the manifest's shards in order, CSV headers after the first stripped. */
export async function shardsDigest(jobId: string): Promise<Digest & { shards: ExportShard[] }> {
  const admin = serviceClient();
  const { data: shards, error } = await admin
    .from('export_shards')
    .select('*')
    .eq('job_id', jobId)
    .order('lane')
    .order('lane_seq')
    .returns<ExportShard[]>();
  if (error) throw error;
  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  for (const shard of shards) {
    const { data, error: downloadError } = await admin.storage.from(EXPORTS_BUCKET).download(shard.storage_key);
    if (downloadError) throw downloadError;
    const stored = new Uint8Array(await data.arrayBuffer());
    // Shards are stored as gzip members (the manifest keeps both forms' sizes and checksums).
    if (shard.encoding === 'gzip') {
      if (stored.length !== shard.gzip_bytes || createHash('sha256').update(stored).digest('hex') !== shard.gzip_sha256)
        throw new Error(`shard ${shard.shard_no} gzip checksum`);
    }
    const body = shard.encoding === 'gzip' ? new Uint8Array(gunzipSync(stored)) : stored;
    if (body.length !== shard.bytes || createHash('sha256').update(body).digest('hex') !== shard.sha256)
      throw new Error(`shard ${shard.shard_no} checksum`);
    // The CSV header once, at the top of the file (the first shard in file order).
    const part = rows === 0 ? body : body.subarray(shard.header_bytes);
    hash.update(part);
    bytes += part.length;
    rows += shard.rows;
  }
  return { sha256: hash.digest('hex'), bytes, rows, shards };
}

/** The job row, read with the secret key (of the test stack, or of another project's client). */
export async function readJob(jobId: string, admin: SupabaseClient = serviceClient()): Promise<ExportJob> {
  const { data, error } = await admin.from('export_jobs').select('*').eq('id', jobId).single<ExportJob>();
  if (error) throw error;
  return data;
}

/**
 * Waits for a job to reach a state, running the sweep (the devstack's pg_cron stand-in) on the way, as
 * the hosted cron would every 30 s, so retries after a backoff and killed invocations get picked up.
 */
export async function waitForJob(
  jobId: string,
  done: (job: ExportJob) => boolean,
  options: { timeoutMs?: number; sweep?: boolean; admin?: SupabaseClient } = {},
): Promise<ExportJob> {
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  let lastSweep = 0;
  for (;;) {
    const job = await readJob(jobId, options.admin);
    if (done(job)) return job;
    if (Date.now() > deadline)
      throw new Error(`job ${jobId} still ${job.status} (${job.shards_written} shards) at the deadline`);
    if (options.sweep && Date.now() - lastSweep > 1000) {
      lastSweep = Date.now();
      await kickSweep();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One run of the sweep: reap dead lanes and kick a worker for each lane it returns, like pg_cron + pg_net. */
export async function kickSweep(): Promise<string[]> {
  const admin = serviceClient();
  const { data, error } = await admin.rpc('sweep_export_jobs');
  if (error) throw error;
  const lanes = data as Array<{ job_id: string; lane_no: number }>;
  await Promise.all(
    lanes.map((l) => admin.functions.invoke('export-worker', { body: { jobId: l.job_id, lane: l.lane_no } })),
  );
  return lanes.map((l) => l.job_id);
}

export async function setFaults(faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${testStack().apiUrl}/_devstack/faults`, { method: 'PUT', body: JSON.stringify(faults) });
  if (!res.ok) throw new Error(`faults: ${res.status} ${await res.text()}`);
}

export async function clearFaults(): Promise<void> {
  await fetch(`${testStack().apiUrl}/_devstack/faults`, { method: 'DELETE' });
}
