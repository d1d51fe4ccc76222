import type { ServerResponse } from 'node:http';
import type { Pool } from 'pg';
import { z } from 'zod';
import { parseExactJson } from '../../supabase/functions/_shared/exact-json.ts';
import { parseParams, projectDocument, splitFields, uintParam } from './query-params';
import { whereSql } from './search';
import { SqlParams } from './sql-params';
import { partitionName, type StoredCollection } from './store';

const exportParamsSchema = z
  .object({
    filter_by: z.string().optional(),
    include_fields: z.string().optional(),
    exclude_fields: z.string().optional(),
    batch_size: uintParam('batch_size').optional(),
  })
  .loose();

/**
 * Rows fetched from the cursor per round trip. 500 docs of a few KB ≈ 2 MB held at once, whatever the
 * collection size: memory stays flat for a 1,000,000-record export.
 */
const DEFAULT_BATCH = 500;
const MAX_BATCH = 10_000;

export type PreparedExport = {
  sql: string;
  values: unknown[];
  batch: number;
  /** The line for one stored document: the text itself, or its include/exclude projection. */
  line: (doc: string) => string;
};

/** Prepares the export SQL; throws TypesenseError for bad params/filters before any byte is sent. */
export function prepareExport(collection: StoredCollection, query: Record<string, string>): PreparedExport {
  const p = parseParams(exportParamsSchema, query);
  const params = new SqlParams();
  const where = whereSql(collection.schema, params, p.filter_by);
  // Insertion order, like Typesense's export (seq_id order; no sort option). `collection_id` is constant in
  // the partition and makes the (collection_id, seq) primary key usable for this order.
  const sql = `select doc from ${partitionName(collection.id)} ${where ? `where ${where}` : ''} order by collection_id, seq`;
  const batch = Math.min(MAX_BATCH, Math.max(1, p.batch_size ?? DEFAULT_BATCH));
  const include = splitFields(p.include_fields);
  const exclude = splitFields(p.exclude_fields);
  // Without a projection the stored text goes out as is, with no parse per record.
  const line =
    include.length === 0 && exclude.length === 0
      ? (doc: string) => doc
      : (doc: string) =>
          JSON.stringify(projectDocument(parseExactJson(doc) as Record<string, unknown>, include, exclude));
  return { sql, values: params.values, batch, line };
}

/**
 * Streams JSONL ("\n" between records, none after the last) from a server-side cursor, waiting for the
 * socket to drain before fetching more, and stopping as soon as the client goes away.
 */
export async function streamExport(db: Pool, res: ServerResponse, prepared: PreparedExport): Promise<void> {
  const client = await db.connect();
  let broken = false;
  let clientGone = false;
  const onClose = () => {
    clientGone = true;
  };
  res.on('close', onClose);
  try {
    await client.query('begin isolation level repeatable read read only');
    await client.query(`declare export_cursor no scroll cursor for ${prepared.sql}`, prepared.values);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    let first = true;
    while (!clientGone) {
      const { rows } = await client.query<{ doc: string }>(`fetch ${prepared.batch} from export_cursor`);
      if (rows.length === 0) break;
      let chunk = '';
      for (const row of rows) {
        const line = prepared.line(row.doc);
        chunk += first ? line : `\n${line}`;
        first = false;
      }
      if (!res.write(chunk) && !clientGone) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    await client.query('commit');
    if (!clientGone) res.end();
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    res.off('close', onClose);
    if (broken) {
      // The connection may be mid-transaction; drop it rather than return it to the pool dirty.
      client.release(true);
    } else {
      client.release();
    }
  }
}
