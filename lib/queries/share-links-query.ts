import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query';
import type { DownloadForm } from '@/lib/download/download-form';
import type { ShareLink } from '@/lib/share-links/types';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

export type CreateShareLinkBody = { expiresInHours: number; forms: DownloadForm[]; note?: string };
export type CreatedShareLink = { link: ShareLink; token: string; path: string };

/** An export's share links (never their tokens), newest first. */
export const shareLinksQueryOptions = (jobId: string) =>
  queryOptions({
    queryKey: queryKeys.exports.shareLinks(jobId),
    queryFn: () => apiFetch<ShareLink[]>(`/api/exports/${jobId}/share-links`),
  });

/** Creates a link; the answer carries the token, shown once. The activity gains nothing until it is used. */
export const createShareLinkMutationOptions = (queryClient: QueryClient, jobId: string) =>
  mutationOptions({
    mutationFn: (body: CreateShareLinkBody) =>
      apiFetch<CreatedShareLink>(`/api/exports/${jobId}/share-links`, { method: 'POST', json: body }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.exports.shareLinks(jobId) }),
  });

export const revokeShareLinkMutationOptions = (queryClient: QueryClient, jobId: string) =>
  mutationOptions({
    mutationFn: (linkId: string) =>
      apiFetch<{ id: string }>(`/api/share-links/${linkId}/revoke`, { method: 'POST', json: {} }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.exports.shareLinks(jobId) }),
  });
