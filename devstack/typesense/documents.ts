import type { IncomingMessage } from 'node:http';
import { exactInteger, isRawJsonNumber } from '../../supabase/functions/_shared/exact-json.ts';
import { baseType, isArrayType, isScalarField, type CollectionSchema, type FieldSchema } from './schema';
import type { PreparedDoc } from './store';

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Checks one document (parsed with parseExactJson) against the schema, with Typesense's messages
 * (`validator.cpp`). Any valid JSON string is a valid string value, NUL included.
 */
export function validateDocument(
  schema: CollectionSchema,
  value: unknown,
): { ok: true; doc: PreparedDoc } | { ok: false; code: number; error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 400, error: 'Bad JSON: not a properly formed document.' };
  }
  const doc = value as Record<string, unknown>;
  const id = doc.id;
  if (id !== undefined && typeof id !== 'string') {
    return { ok: false, code: 400, error: "Document's `id` field should be a string." };
  }
  for (const field of schema.fields) {
    const v = doc[field.name];
    if (v === undefined || v === null) {
      if (!field.optional) {
        return {
          ok: false,
          code: 400,
          error: `Field \`${field.name}\` has been declared in the schema, but is not found in the document.`,
        };
      }
      continue;
    }
    const problem = typeProblem(field, v);
    if (problem) return { ok: false, code: 400, error: problem };
  }
  const { id: _ignored, ...rest } = doc;
  void _ignored;
  return { ok: true, doc: { id: typeof id === 'string' ? id : undefined, doc: rest } };
}

function inRange(v: unknown, min: bigint, max: bigint): boolean {
  const n = exactInteger(v);
  return n !== undefined && n >= min && n <= max;
}

function scalarOk(type: ReturnType<typeof baseType>, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int32':
      return inRange(v, INT32_MIN, INT32_MAX);
    case 'int64':
      return inRange(v, INT64_MIN, INT64_MAX);
    case 'float':
      return (typeof v === 'number' && Number.isFinite(v)) || isRawJsonNumber(v);
    case 'bool':
      return typeof v === 'boolean';
  }
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeProblem(field: FieldSchema, v: unknown): string | undefined {
  if (field.type === 'auto') return undefined;
  if (field.type === 'object') return isPlainObject(v) ? undefined : `Field \`${field.name}\` must be an object.`;
  if (field.type === 'object[]') {
    return Array.isArray(v) && v.every(isPlainObject)
      ? undefined
      : `Field \`${field.name}\` must be an array of objects.`;
  }
  if (!isScalarField(field)) return undefined;
  const base = baseType(field.type);
  const article = base === 'int32' || base === 'int64' ? 'an' : 'a';
  if (isArrayType(field.type)) {
    if (!Array.isArray(v)) return `Field \`${field.name}\` must be an array.`;
    if (!v.every((e) => scalarOk(base, e))) return `Field \`${field.name}\` must be an array of ${base}.`;
    return undefined;
  }
  return scalarOk(base, v) ? undefined : `Field \`${field.name}\` must be ${article} ${base}.`;
}

/** Yields the lines of a JSONL request body as they arrive, so a big import never sits in memory whole. */
export async function* readLines(req: IncomingMessage): AsyncGenerator<string> {
  let pending = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of req as AsyncIterable<Buffer>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending !== '') yield pending;
}
