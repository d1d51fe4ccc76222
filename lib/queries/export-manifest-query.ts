import { queryOptions } from '@tanstack/react-query';
import type {
  ExportEvent,
  ExportInvocation,
  ExportJob,
  ExportShard,
  ExportShardAttempt,
  ExportShardFailure,
  OrganisationMember,
} from '@/lib/exports/types';
import type { ShardCheck } from '@/lib/exports/verify-shards';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

export type { ShardCheck };

export type ExportManifest = {
  job: ExportJob;
  shards: ExportShard[];
  attempts: ExportShardAttempt[];
  invocations: ExportInvocation[];
  failures: ExportShardFailure[];
  events: ExportEvent[];
  /** Colleagues, so the activity can say who started, cancelled, re-ran or downloaded. */
  members: OrganisationMember[];
  verification: ShardCheck[] | null;
};

/**
 * The shard manifest, replaced attempts and invocation timeline. Not polled: the export page refetches
 * it (throttled) when the live job row says shards or status changed.
 */
export const exportManifestQueryOptions = (id: string) =>
  queryOptions({
    queryKey: queryKeys.exports.manifest(id),
    queryFn: ({ signal }) => apiFetch<ExportManifest>(`/api/exports/${id}/shards`, { signal }),
    staleTime: Infinity,
  });

/** What storage really holds, compared with the manifest (support's "Verify storage"). On demand only. */
export const exportVerificationQueryOptions = (id: string, checksums = false) =>
  queryOptions({
    queryKey: [...queryKeys.exports.verification(id), checksums ? 'checksum' : 'size'] as const,
    queryFn: ({ signal }) =>
      apiFetch<ExportManifest>(`/api/exports/${id}/shards?verify=${checksums ? 'checksum' : '1'}`, { signal }),
    staleTime: Infinity,
    enabled: false,
  });
