import { queryOptions } from '@tanstack/react-query';
import type { ApiTokenRow } from '@/lib/api-tokens/types';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

/** The organisation's API tokens; read again on focus, so "last used" stays current without polling. */
export const apiTokensQueryOptions = (initialData?: ApiTokenRow[]) =>
  queryOptions({
    queryKey: queryKeys.apiTokens.list(),
    queryFn: ({ signal }) => apiFetch<ApiTokenRow[]>('/api/api-tokens', { signal }),
    initialData,
  });
