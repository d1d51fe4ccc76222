import { mutationOptions, type QueryClient } from '@tanstack/react-query';
import type { ApiTokenScope } from '@/lib/api-v1/api-token-scopes';
import type { ApiTokenRow } from '@/lib/api-tokens/types';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

export type CreateApiTokenBody = {
  organisationId: string;
  name: string;
  scopes: ApiTokenScope[];
  expiresInDays: number;
};

/** Answers the secret once; the list gets the token without it. */
export const createApiTokenMutationOptions = (queryClient: QueryClient) =>
  mutationOptions({
    mutationFn: (body: CreateApiTokenBody) =>
      apiFetch<{ token: ApiTokenRow; secret: string }>('/api/api-tokens', { method: 'POST', json: body }),
    onSuccess: ({ token }) =>
      queryClient.setQueryData<ApiTokenRow[]>(queryKeys.apiTokens.list(), (tokens = []) => [token, ...tokens]),
  });

export const revokeApiTokenMutationOptions = (queryClient: QueryClient) =>
  mutationOptions({
    mutationFn: (id: string) => apiFetch<{ id: string }>(`/api/api-tokens/${id}/revoke`, { method: 'POST', json: {} }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiTokens.list() }),
  });
