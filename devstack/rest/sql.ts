/**
 * SQL text helpers shared by the builders. Identifiers are always quoted; values always go through
 * `SqlParams` as bound parameters, never into the SQL text.
 */

export function quoteIdent(name: string): string {
  // Postgres identifiers cannot contain NUL; anything else is safe once quotes are doubled.
  if (name.includes('\u0000')) throw new Error('identifier contains NUL');
  return `"${name.replaceAll('"', '""')}"`;
}

export class SqlParams {
  readonly values: unknown[] = [];

  /** Binds a value and returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

export type BuiltQuery = { sql: string; params: unknown[] };

/**
 * Every builder returns one row with these columns, so one piece of code turns any result into a
 * response: `total` (the exact count, or null when not requested), `page_total` (rows in this page, or
 * rows affected) and `body` (the JSON text to send, or null).
 */
export type ResultRow = { total: string | null; page_total: string; body: string | null };
