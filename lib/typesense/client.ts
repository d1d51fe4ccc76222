import Typesense from 'typesense';
import type { Client as TypesenseClient, SearchParams, SearchResponse } from 'typesense';
import { serverEnv } from '@/lib/env/server';
import type { ExportSource } from '@/lib/sources/types';
import { scopedSearchParams } from '@/supabase/functions/_shared/scoped-search-key.ts';
import { typesenseClientOptions } from '@/supabase/functions/_shared/typesense-nodes.ts';

type SourceDocument = Record<string, unknown>;

/** The documents of one source's collection, searchable only under the source's scoped key. */
export type SourceSearch = {
  search(params: SearchParams<SourceDocument, string>): Promise<SearchResponse<SourceDocument>>;
};

/**
 * Typesense as the app's routes use it: schemas with the app's key, and every search of a source under
 * a key scoped to that source (scoped-search-key.ts), so the organisation's mandatory filter is
 * Typesense's to enforce.
 */
export type TypesenseAccess = {
  /** Reads collection schemas (`collections:get`); never used to search a source. */
  schemas: TypesenseClient;
  /** The source's collection, searched with a fresh key derived from the search-only key for its filter. */
  searchSource(source: ExportSource): SourceSearch;
};

const TUNING = { connectionTimeoutSeconds: 10, retriesPerNode: 2 };

export function typesenseAccess(config: {
  /** One node's URL, or a cluster's, comma-separated. */
  url: string;
  apiKey: string;
  /** A key allowed only `documents:search`: the parent of every scoped key. */
  searchKey: string;
}): TypesenseAccess {
  const schemas = new Typesense.Client(typesenseClientOptions(config.url, config.apiKey, TUNING));
  return {
    schemas,
    searchSource: (source) => {
      const scopedKey = schemas
        .keys()
        .generateScopedSearchKey(config.searchKey, scopedSearchParams(source.mandatory_filter, Date.now()));
      return new Typesense.Client(typesenseClientOptions(config.url, scopedKey, TUNING))
        .collections<SourceDocument>(source.collection)
        .documents();
    },
  };
}

/**
 * Typesense for route handlers and server components; the keys never reach the browser. Every node of
 * TYPESENSE_URL (comma-separated), with failover between them.
 */
export function createTypesenseAccess(): TypesenseAccess {
  const env = serverEnv();
  return typesenseAccess({
    url: env.TYPESENSE_URL,
    apiKey: env.TYPESENSE_API_KEY,
    searchKey: env.TYPESENSE_SEARCH_KEY,
  });
}
