import type { openApiDocument } from '@/lib/api-v1/openapi-document';
import type { DocumentedOperation } from './operation-section';

type Document = ReturnType<typeof openApiDocument>;
type Json = Record<string, unknown>;

/** Resolves a `#/components/schemas/X` reference once, so the page shows the schema itself. */
function resolve(document: Document, schema: unknown): unknown {
  const ref = (schema as Json | undefined)?.$ref;
  if (typeof ref !== 'string') return schema ?? null;
  return (document.components?.schemas as Json | undefined)?.[ref.split('/').pop() ?? ''] ?? schema;
}

/** The JSON Schema of an operation's JSON request body, if it has one. */
function jsonBodySchema(op: Json): unknown {
  const content = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  return content?.['application/json']?.schema ?? null;
}

/** The document's operations in reading order, flattened for the reference page. */
export function readOperations(document: Document): DocumentedOperation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries((item ?? {}) as Record<string, Json>).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      summary: String(op.summary ?? ''),
      scope: typeof op['x-scope'] === 'string' ? op['x-scope'] : null,
      parameters: ((op.parameters ?? []) as Json[]).map((p) => ({
        name: String(p.name),
        in: String(p.in),
        required: p.required === true,
        description: typeof p.description === 'string' ? p.description : undefined,
      })),
      requestSchema: resolve(document, jsonBodySchema(op)),
      responses: Object.entries((op.responses ?? {}) as Record<string, Json>).map(([status, r]) => ({
        status,
        description: String(r.description ?? ''),
      })),
    })),
  );
}
