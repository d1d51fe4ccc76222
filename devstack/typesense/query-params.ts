import { z } from 'zod';
import { TypesenseError } from './errors';
import type { SqlParams } from './sql-params';

/** Unsigned integer query parameter with Typesense's wording for a bad value. */
export const uintParam = (name: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, { message: `Parameter \`${name}\` must be an unsigned integer.` })
    .transform(Number);

/** zod failure → the 400 Typesense would send for the first bad parameter. */
export function parseParams<T extends z.ZodType>(schema: T, input: Record<string, string>): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new TypesenseError(400, parsed.error.issues[0]?.message ?? 'Bad request parameters.');
  return parsed.data;
}

/** `a, b ,c` → ['a','b','c'] (the client joins array params with `,`). */
export function splitFields(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * SQL for the returned document after include_fields / exclude_fields. Done in SQL so that exports can
 * pass `doc::text` straight through without a JSON parse per record. Unknown names are ignored, like
 * Typesense. `id` is kept only if listed in include_fields (Typesense behaviour is unverified: protocols §6).
 */
export function projectionSql(include: string[], exclude: string[], params: SqlParams): string {
  let expr = 'doc';
  if (include.length > 0) {
    expr = `(select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from jsonb_each(doc) as f(k, v) where k = any(${params.add(include)}::text[]))`;
  }
  if (exclude.length > 0) expr = `(${expr} - ${params.add(exclude)}::text[])`;
  return expr;
}
