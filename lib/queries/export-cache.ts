import type { QueryClient } from '@tanstack/react-query';
import type { ExportJob } from '@/lib/exports/types';
import { queryKeys } from './keys';

/**
 * A Realtime event and a refetch can arrive in either order; keep whichever row is newer so a late
 * snapshot never rolls the map back (updated_at is set by a trigger on every write).
 */
export function newerJob(current: ExportJob | undefined, incoming: ExportJob): ExportJob {
  if (!current) return incoming;
  return Date.parse(incoming.updated_at) >= Date.parse(current.updated_at) ? incoming : current;
}

/** Inserts or replaces a job in the newest-first list. */
export function upsertJobInList(list: readonly ExportJob[] | undefined, job: ExportJob): ExportJob[] | undefined {
  if (!list) return list;
  const index = list.findIndex((j) => j.id === job.id);
  if (index === -1) return [job, ...list].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  const next = list.slice();
  next[index] = newerJob(list[index], job);
  return next;
}

/** Puts a job row the API just returned into every cache that shows it. */
export function storeJob(queryClient: QueryClient, job: ExportJob) {
  queryClient.setQueryData<ExportJob>(queryKeys.exports.detail(job.id), (current) => newerJob(current, job));
  queryClient.setQueryData<ExportJob[]>(queryKeys.exports.list(), (list) => upsertJobInList(list, job));
}
