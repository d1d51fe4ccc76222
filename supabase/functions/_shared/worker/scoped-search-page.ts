import Typesense from 'typesense';
import { ExportError } from '../export-error.ts';
import type { ExportDocument } from '../export-format.ts';
import { generateScopedSearchKey, SCOPED_KEY_LIFETIME_SECONDS, scopedSearchParams } from '../scoped-search-key.ts';
import { classifyTypesenseError } from '../typesense-error.ts';
import { typesenseClientOptions } from '../typesense-nodes.ts';
import type { WorkerPorts } from './ports.ts';

type Tuning = Parameters<typeof typesenseClientOptions>[2];
type ScopedClient = { client: InstanceType<typeof Typesense.Client>; renewAtMs: number };

/**
 * The worker's `searchPage` port: each page is searched under a key the worker derives from the
 * search-only key (TYPESENSE_SEARCH_KEY) for the job's collection and mandatory filter
 * (scoped-search-key.ts), so Typesense ANDs the organisation's filter after the page's. The worker
 * derives the key itself rather than being handed one: the job row then holds no secret, and a lane the
 * sweep restarts needs nothing from the app.
 *
 * One client per scope, kept while its key has more than half its life left: a client remembers which
 * nodes failed (typesense-nodes.ts), so a dead node costs one failed connection, not one per page.
 */
export function scopedSearchPage(options: {
  url: string;
  searchKey: string;
  tuning: Tuning;
  now?: () => number;
}): WorkerPorts['searchPage'] {
  const now = options.now ?? Date.now;
  const clients = new Map<string, Promise<ScopedClient>>();
  const clientFor = (collection: string, mandatoryFilter: string | null): Promise<ScopedClient> => {
    const scope = JSON.stringify([collection, mandatoryFilter]);
    const cached = clients.get(scope);
    if (cached) return cached.then((c) => (now() < c.renewAtMs ? c : renew(scope, mandatoryFilter)));
    return renew(scope, mandatoryFilter);
  };
  const renew = (scope: string, mandatoryFilter: string | null): Promise<ScopedClient> => {
    const createdMs = now();
    const made = generateScopedSearchKey(options.searchKey, scopedSearchParams(mandatoryFilter, createdMs)).then(
      (key) => ({
        client: new Typesense.Client(typesenseClientOptions(options.url, key, options.tuning)),
        renewAtMs: createdMs + (SCOPED_KEY_LIFETIME_SECONDS * 1000) / 2,
      }),
    );
    clients.set(scope, made);
    return made;
  };

  return async (request) => {
    const { client } = await clientFor(request.collection, request.mandatoryFilter);
    try {
      const response = await client
        .collections<ExportDocument>(request.collection)
        .documents()
        .search({
          q: '*',
          filter_by: request.filterBy || undefined,
          sort_by: request.sortBy,
          per_page: request.perPage,
          page: 1,
          include_fields: request.includeFields.join(','),
        });
      return (response.hits ?? []).map((hit) => hit.document);
    } catch (error) {
      const failure = classifyTypesenseError(error);
      const message = error instanceof Error ? error.message : String(error);
      throw new ExportError(
        failure.kind === 'rejected' ? 'source_rejected' : 'source_unavailable',
        message,
        failure.retryable,
      );
    }
  };
}
