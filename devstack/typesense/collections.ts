import type { IncomingMessage } from 'node:http';
import type { Pool } from 'pg';
import { z } from 'zod';
import { readBody } from '../http/body';
import { validateDocument, readLines } from './documents';
import { parseExactJson } from '../../supabase/functions/_shared/exact-json.ts';
import { TypesenseError } from './errors';
import { parseParams } from './query-params';
import { collectionInputSchema, normalizeCollection } from './schema';
import {
  createCollection,
  dropCollection,
  getCollection,
  listCollections,
  writeBatch,
  type PreparedDoc,
  type StoredCollection,
} from './store';

/** `Collection::get_summary_json` shape. */
function collectionSummary(c: StoredCollection): Record<string, unknown> {
  return {
    name: c.schema.name,
    num_documents: c.numDocuments,
    created_at: c.createdAt,
    fields: c.schema.fields,
    default_sorting_field: c.schema.default_sorting_field,
    enable_nested_fields: c.schema.enable_nested_fields,
    token_separators: c.schema.token_separators,
    symbols_to_index: c.schema.symbols_to_index,
  };
}

/** Collection schemas are small; 1 MB is far above any real one. */
const MAX_SCHEMA_BYTES = 1024 * 1024;

export async function handleCreateCollection(db: Pool, req: IncomingMessage): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, MAX_SCHEMA_BYTES)).toString('utf8'));
  } catch {
    throw new TypesenseError(400, 'Bad JSON.');
  }
  const parsed = collectionInputSchema.safeParse(body);
  if (!parsed.success) {
    throw new TypesenseError(
      400,
      `Bad collection schema: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim(),
    );
  }
  return collectionSummary(await createCollection(db, normalizeCollection(parsed.data)));
}

export async function handleListCollections(db: Pool): Promise<Array<Record<string, unknown>>> {
  return (await listCollections(db)).map(collectionSummary);
}

export async function handleGetCollection(db: Pool, name: string): Promise<Record<string, unknown>> {
  return collectionSummary(await getCollection(db, name));
}

export async function handleDropCollection(db: Pool, name: string): Promise<Record<string, unknown>> {
  return collectionSummary(await dropCollection(db, name));
}

/**
 * Baton's tests import with `action=create` (the default); the other actions (upsert, update, emplace)
 * are not served by the devstack and are refused with a message that says so.
 */
const importParamsSchema = z
  .object({
    action: z
      .enum(['create'], {
        error: 'The devstack imports with `action=create` only (upsert, update and emplace are not served).',
      })
      .optional(),
  })
  .loose();

/** Rows written per INSERT: big enough to amortise the round trip, small enough to keep memory flat. */
const IMPORT_BATCH = 1000;

/**
 * POST /collections/:name/documents/import: JSONL in, one JSON result per line out
 * (`{"success":true}` or `{"success":false,"error":…,"document":…,"code":…}`), as text/plain — the client
 * splits it on "\n" itself, and a single-line `application/json` answer would be parsed too early. A bad
 * line fails alone; the others are written.
 */
export async function handleImport(
  db: Pool,
  collection: StoredCollection,
  req: IncomingMessage,
  query: Record<string, string>,
): Promise<string> {
  parseParams(importParamsSchema, query);
  const results: string[] = [];
  let batch: Array<{ line: string; position: number; doc: PreparedDoc }> = [];
  let batchIds = new Set<string>();

  const flush = async () => {
    const outcomes = await writeBatch(
      db,
      collection,
      batch.map((b) => b.doc),
    );
    batch.forEach((b, i) => {
      const outcome = outcomes[i];
      results[b.position] = outcome
        ? JSON.stringify({ success: false, error: outcome.error, document: b.line, code: outcome.code })
        : JSON.stringify({ success: true });
    });
    batch = [];
    batchIds = new Set();
  };

  for await (const line of readLines(req)) {
    if (line.trim() === '') continue;
    const position = results.length;
    results.push('');
    let value: unknown;
    try {
      value = parseExactJson(line);
    } catch {
      results[position] = JSON.stringify({ success: false, error: 'Bad JSON.', document: line, code: 400 });
      continue;
    }
    const checked = validateDocument(collection.schema, value);
    if (!checked.ok) {
      results[position] = JSON.stringify({ success: false, error: checked.error, document: line, code: checked.code });
      continue;
    }
    // The same id twice in one INSERT … ON CONFLICT would be an error; write the first one's batch first.
    const id = checked.doc.id;
    if (id !== undefined && batchIds.has(id)) await flush();
    if (id !== undefined) batchIds.add(id);
    batch.push({ line, position, doc: checked.doc });
    if (batch.length >= IMPORT_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return results.join('\n');
}
