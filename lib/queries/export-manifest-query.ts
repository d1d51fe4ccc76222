import { queryOptions, type QueryClient } from '@tanstack/react-query';
import type { ExportManifestChangesRead } from '@/lib/exports/read-export-manifest';
import type { OrganisationMember } from '@/lib/exports/types';
import type { ShardCheck } from '@/lib/exports/verify-shards';
import { ApiError, apiFetch } from './api-fetch';
import { queryKeys } from './keys';
import { mergeManifestChanges, type ManifestRows } from './merge-manifest-changes';

export type { ShardCheck };

/**
 * The manifest as the page holds it: the job row, shards, replaced and failed attempts, invocations and
 * events, with the cursor of the read they came from (null: the next read is a whole one).
 */
export type ExportManifest = ManifestRows & {
  /** Colleagues, so the activity can say who started, cancelled, re-ran or downloaded. */
  members: OrganisationMember[];
  verification: ShardCheck[] | null;
};

/**
 * The page's one read of the manifest: the whole of it the first time (and when asked to read afresh),
 * then only what changed since the cached read's cursor, merged into the cache — a read costs the
 * changes, not the manifest, however large the export. Reads of one page never overlap: a refetch
 * cancels the one in flight, whose answer is dropped, so each answer lands on the cache it was asked
 * against. A cursor the server refuses (422: ahead of what it has, e.g. another database) starts again
 * with a whole read.
 */
async function readManifest(id: string, cached: ExportManifest | undefined, signal: AbortSignal) {
  if (cached?.cursor) {
    try {
      const changes = await apiFetch<ExportManifestChangesRead>(
        `/api/exports/${id}/shards?since=${encodeURIComponent(cached.cursor)}`,
        { signal },
      );
      return mergeManifestChanges(cached, changes);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 422)) throw error;
    }
  }
  return apiFetch<ExportManifest>(`/api/exports/${id}/shards`, { signal });
}

/**
 * Not polled: the export page refetches it (throttled) when the live job row moves, and every refetch
 * reads only what changed since the last.
 */
export const exportManifestQueryOptions = (id: string) =>
  queryOptions({
    queryKey: queryKeys.exports.manifest(id),
    queryFn: ({ signal, client, queryKey }) => readManifest(id, client.getQueryData<ExportManifest>(queryKey), signal),
    staleTime: Infinity,
  });

/**
 * Reads the whole manifest again (keeping what is shown until it arrives): after the page went silent
 * or its channel rejoined, so that whatever may have gone wrong in between is made good from scratch.
 */
export function refetchManifestInFull(queryClient: QueryClient, id: string): Promise<void> {
  queryClient.setQueryData<ExportManifest>(queryKeys.exports.manifest(id), (manifest) =>
    manifest ? { ...manifest, cursor: null } : manifest,
  );
  return queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(id) });
}

/** What storage really holds, compared with the manifest (support's "Verify storage"). On demand only. */
export const exportVerificationQueryOptions = (id: string, checksums = false) =>
  queryOptions({
    queryKey: [...queryKeys.exports.verification(id), checksums ? 'checksum' : 'size'] as const,
    queryFn: ({ signal }) =>
      apiFetch<ExportManifest>(`/api/exports/${id}/shards?verify=${checksums ? 'checksum' : '1'}`, { signal }),
    staleTime: Infinity,
    enabled: false,
  });
