import type { z } from 'zod';

/**
 * Postgres `text` cannot hold U+0000 (and Typesense filters have no use for it): a value carrying one
 * would fail at the database with a 500. Refused at the edge instead, as the client's mistake.
 */
export function withoutNul<S extends z.ZodString>(schema: S, what: string): S {
  return schema.refine((value) => !value.includes('\u0000'), {
    error: `${what} contains the NUL character (U+0000), which cannot be stored: remove it and send it again.`,
  });
}
