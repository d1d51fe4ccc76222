/**
 * Encoding of export records, shared by the worker (Deno) and the app (Next.js): shards, the reference
 * single-pass encoding in tests, and the CSV header of an empty export all come from here, so they are
 * byte-identical by construction.
 *
 * CSV: RFC 4180 (quotes only where needed, `""` inside quotes, CRLF after every row), a header row at the
 * top of every shard. NDJSON: one JSON object per line, `\n` after every line. Both emit exactly the
 * job's fields, in the job's order; a missing field is an empty cell / `null`.
 */
import { isRawJsonNumber } from './exact-json.ts';

export type ExportFormat = 'csv' | 'ndjson';

export type ExportDocument = Record<string, unknown>;

export type EncodeOptions = {
  format: ExportFormat;
  fields: readonly string[];
  /** OWASP CSV injection defence for text cells; on by default for every job, can be turned off per job. */
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

// OWASP "CSV Injection": a text cell starting with = + - @, tab or CR can run as a formula in spreadsheet
// apps; prefixing a single quote makes it text. Only text is guarded: a number or a boolean is written as
// it is (`-12.5` stays `-12.5`, a negative key stays a number), since a spreadsheet reads those as values,
// never as formulas. Arrays and objects are JSON (`[`/`{` first), never triggers.
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

/** A cell's text: arrays and objects as JSON (lossless and predictable), null/undefined as empty. */
function cellText(value: unknown, neutraliseFormulas: boolean): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return neutraliseFormulas && FORMULA_TRIGGER.test(value) ? `'${value}` : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  // Integers beyond 2^53 (exact-json.ts), digit for digit.
  if (isRawJsonNumber(value)) return value.rawJSON;
  return JSON.stringify(value);
}

// RFC 4180: a cell is quoted when it holds the delimiter, a quote, or a line break — CR or LF alone too
// (common in HTML bodies; an unquoted one would split the row in most readers) — and quotes inside are
// doubled. Written out rather than through csv-stringify: the library's per-cell option handling cost
// ~30 ms of CPU a 250-record page (measured in warm Node), a fifth of a 160 ms CPU budget, for the same
// bytes (the tests compare the two on hostile input).
const NEEDS_QUOTES = /[",\r\n]/;

function csvCell(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(cells: readonly string[]): string {
  let row = '';
  for (let i = 0; i < cells.length; i += 1) row += (i === 0 ? '' : ',') + csvCell(cells[i]!);
  return `${row}\r\n`;
}

export function encodeCsvHeader(fields: readonly string[]): string {
  return csvRow(fields.map((f) => cellText(f, false)));
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
  let body = '';
  const cells: string[] = new Array<string>(options.fields.length);
  for (const doc of documents) {
    for (let i = 0; i < options.fields.length; i += 1) {
      cells[i] = cellText(doc[options.fields[i]!], options.neutraliseFormulas);
    }
    body += csvRow(cells);
  }
  return {
    bytes: encoder.encode(header + body),
    rows: documents.length,
    headerBytes: encoder.encode(header).length,
  };
}
