import type { QueryClient } from '@tanstack/react-query';
import type { ExportJob } from '@/lib/exports/types';
import type { ExportListMessage } from '@/lib/realtime/export-list-message';
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

const UNFINISHED = new Set<ExportJob['status']>(['queued', 'running', 'retrying']);

/**
 * One exports-list message applied to the cached list: the job whose state changed (if any) as a whole
 * row, then each unfinished job's progress onto its row where it is not older than the row. `drifted`
 * says the list no longer matches the organisation and should be read afresh: the message names an
 * export newer than the oldest listed that the list lacks (its creation never arrived), or a listed
 * export of the organisation is unfinished in the list yet absent from a message newer than it (its end
 * never arrived) — messages can be lost (over the quota, or while the channel rejoined).
 */
export function applyListMessage(
  list: readonly ExportJob[] | undefined,
  organisationId: string,
  message: ExportListMessage,
): { list: ExportJob[] | undefined; drifted: boolean } {
  if (!list) return { list: undefined, drifted: false };
  const next = message.job ? (upsertJobInList(list, message.job) ?? []) : list.slice();
  const index = new Map(next.map((job, i) => [job.id, i]));
  const oldest = next.reduce((min, job) => Math.min(min, Date.parse(job.created_at)), Infinity);
  let drifted = false;
  for (const progress of message.jobs) {
    const i = index.get(progress.id);
    if (i === undefined) {
      if (next.length === 0 || Date.parse(progress.created_at) >= oldest) drifted = true;
      continue;
    }
    const row = next[i]!;
    if (Date.parse(progress.updated_at) >= Date.parse(row.updated_at)) next[i] = { ...row, ...progress };
  }
  if (!message.truncated) {
    const listed = new Set(message.jobs.map((progress) => progress.id));
    const at = Date.parse(message.at);
    drifted ||= next.some(
      (job) =>
        job.organisation_id === organisationId &&
        UNFINISHED.has(job.status) &&
        !listed.has(job.id) &&
        Date.parse(job.updated_at) < at,
    );
  }
  return { list: next, drifted };
}
