import { AppError } from '@/lib/api/app-error';
import { classifyTypesenseError } from '@/supabase/functions/_shared/typesense-error.ts';
import type { ExportSource } from '@/lib/sources/types';
import type { TypesenseAccess } from '@/lib/typesense/client';

export type SourceField = { name: string; type: string };

export type SourceSchema = {
  fields: SourceField[];
  numDocuments: number;
};

const KEY_TYPES = new Set(['int32', 'int64']);

/**
 * The exportable fields of a source's collection, in schema order (the default column order), after
 * checking the source is usable: the collection exists and its key field is a unique integer field
 * that keyset pagination can sort on.
 */
export async function getSourceSchema(typesense: TypesenseAccess, source: ExportSource): Promise<SourceSchema> {
  let collection;
  try {
    collection = await typesense.schemas.collections(source.collection).retrieve();
  } catch (error) {
    if (classifyTypesenseError(error).status === 404) {
      throw new AppError('unprocessable', `The collection "${source.collection}" of this source no longer exists.`);
    }
    throw new AppError('upstream_unavailable', 'The search service is unavailable; try again in a moment.');
  }
  // Wildcard (".*") and auto-typed schema entries are patterns, not columns.
  const fields = collection.fields
    .filter((f) => !f.name.includes('*') && f.type !== 'auto')
    .map((f) => ({ name: f.name, type: f.type }));
  const key = fields.find((f) => f.name === source.key_field);
  if (!key || !KEY_TYPES.has(key.type)) {
    throw new AppError(
      'unprocessable',
      `The source's key field "${source.key_field}" must be an int32 or int64 field of "${source.collection}".`,
    );
  }
  return { fields, numDocuments: collection.num_documents };
}
