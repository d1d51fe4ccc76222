import type { CloseValues } from '@/lib/sources/suggest-close-values';
import { queryOptions } from '@tanstack/react-query';
import type { ExportSource } from '@/lib/sources/types';
import type { SourceField } from '@/lib/sources/source-schema';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

export type SourceDetail = ExportSource & { fields: SourceField[]; records: number };

export const sourcesQueryOptions = () =>
  queryOptions({
    queryKey: queryKeys.sources.list(),
    queryFn: ({ signal }) => apiFetch<ExportSource[]>('/api/sources', { signal }),
    staleTime: 5 * 60_000,
  });

/** A source's exportable fields (schema order) and record count. */
export const sourceQueryOptions = (id: string) =>
  queryOptions({
    queryKey: queryKeys.sources.detail(id),
    queryFn: ({ signal }) => apiFetch<SourceDetail>(`/api/sources/${id}`, { signal }),
    staleTime: 60_000,
  });

/**
 * How many records a filter matches — and whether Typesense accepts it (422 with a message if not).
 * The caller debounces `filter`; each distinct filter is cached, so typing back is free.
 */
export const sourceEstimateQueryOptions = (id: string, filter: string) =>
  queryOptions({
    queryKey: queryKeys.sources.estimate(id, filter),
    queryFn: ({ signal }) =>
      apiFetch<{ found: number; suggestions?: CloseValues | null }>(`/api/sources/${id}/estimate`, {
        method: 'POST',
        json: { filter: filter.trim() || null },
        signal,
      }),
    staleTime: 30_000,
    retry: false,
  });
