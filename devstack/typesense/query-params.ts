import { z } from 'zod';
import { TypesenseError } from './errors';

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
 * The returned document after include_fields / exclude_fields (parsed with exact int64s). Unknown names are
 * ignored, like Typesense. `id` is kept only if listed in include_fields (Typesense behaviour is
 * unverified: protocols §6).
 */
export function projectDocument(
  doc: Record<string, unknown>,
  include: readonly string[],
  exclude: readonly string[],
): Record<string, unknown> {
  if (include.length === 0 && exclude.length === 0) return doc;
  const kept = Object.entries(doc).filter(
    ([key]) => (include.length === 0 || include.includes(key)) && !exclude.includes(key),
  );
  return Object.fromEntries(kept);
}
