import type { IncomingMessage } from 'node:http';
import { baseType, isArrayType, type CollectionSchema, type FieldSchema } from './schema';
import type { ImportAction, PreparedDoc } from './store';

/** Checks one document against the schema, with Typesense's messages (`validator.cpp`). */
export function validateDocument(
  schema: CollectionSchema,
  value: unknown,
  action: ImportAction,
): { ok: true; doc: PreparedDoc } | { ok: false; code: number; error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 400, error: 'Bad JSON: not a properly formed document.' };
  }
  const doc = value as Record<string, unknown>;
  const id = doc.id;
  if (id !== undefined && typeof id !== 'string') {
    return { ok: false, code: 400, error: "Document's `id` field should be a string." };
  }
  if (action === 'update' && id === undefined) {
    return { ok: false, code: 400, error: 'For update, the `id` key must be provided.' };
  }
  // Partial documents are fine for update/emplace; only present fields are type-checked then.
  const partial = action === 'update' || action === 'emplace';
  for (const field of schema.fields) {
    const v = doc[field.name];
    if (v === undefined || v === null) {
      if (!field.optional && !partial) {
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

function scalarOk(type: ReturnType<typeof baseType>, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int32':
      return typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;
    case 'int64':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'bool':
      return typeof v === 'boolean';
  }
}

function typeProblem(field: FieldSchema, v: unknown): string | undefined {
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
