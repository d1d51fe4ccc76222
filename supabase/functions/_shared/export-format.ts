import { stringify } from 'csv-stringify/sync';

/**
 * Encoding of export records, shared by the worker (Deno) and the app (Next.js): shards, the reference
 * single-pass encoding in tests, and the CSV header of an empty export all come from here, so they are
 * byte-identical by construction.
 *
 * CSV: RFC 4180 (quotes only where needed, `""` inside quotes, CRLF after every row), a header row at the
 * top of every shard. NDJSON: one JSON object per line, `\n` after every line. Both emit exactly the
 * job's fields, in the job's order; a missing field is an empty cell / `null`.
 */
export type ExportFormat = 'csv' | 'ndjson';

export type ExportDocument = Record<string, unknown>;

export type EncodeOptions = {
  format: ExportFormat;
  fields: readonly string[];
  /** OWASP CSV injection defence; on by default for every job, can be turned off per job. */
  neutraliseFormulas: boolean;
};

export type EncodedShard = {
  bytes: Uint8Array;
  rows: number;
  /** Length of the CSV header row (0 for NDJSON): the download strips it from every shard but the first. */
  headerBytes: number;
};

export const contentTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

const encoder = new TextEncoder();

// OWASP "CSV Injection": a cell starting with = + - @, tab or CR can run as a formula in spreadsheet
// apps. Prefixing a single quote makes it text.
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

/** A cell's text: arrays and objects as JSON (lossless and predictable), null/undefined as empty. */
function cellText(value: unknown, neutraliseFormulas: boolean): string {
  let text: string;
  if (value === null || value === undefined) text = '';
  else if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else text = JSON.stringify(value);
  return neutraliseFormulas && FORMULA_TRIGGER.test(text) ? `'${text}` : text;
}

function csvRows(rows: string[][]): string {
  // With CRLF as the record delimiter, csv-stringify quotes only cells containing the full CRLF pair;
  // a lone LF or CR (common in HTML bodies) would then split the row in most readers. RFC 4180 quotes both.
  return stringify(rows, { record_delimiter: 'windows', quoted_match: /[\r\n]/ });
}

export function encodeCsvHeader(fields: readonly string[]): string {
  return csvRows([fields.map((f) => cellText(f, false))]);
}

/** One shard (or, in tests, a whole reference file) from a page of documents. */
export function encodeShard(documents: readonly ExportDocument[], options: EncodeOptions): EncodedShard {
  if (options.format === 'ndjson') {
    let text = '';
    for (const doc of documents) {
      const picked: Record<string, unknown> = {};
      for (const field of options.fields) picked[field] = doc[field] ?? null;
      text += `${JSON.stringify(picked)}\n`;
    }
    return { bytes: encoder.encode(text), rows: documents.length, headerBytes: 0 };
  }
  const header = encodeCsvHeader(options.fields);
  const body = csvRows(
    documents.map((doc) => options.fields.map((field) => cellText(doc[field], options.neutraliseFormulas))),
  );
  return {
    bytes: encoder.encode(header + body),
    rows: documents.length,
    headerBytes: encoder.encode(header).length,
  };
}
