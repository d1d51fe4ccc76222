import { queryOptions } from '@tanstack/react-query';
import type { ExportJob } from '@/lib/exports/types';
import { apiFetch } from './api-fetch';
import { queryKeys } from './keys';

/** The export history is the newest 200 jobs; the API caps a page at 200. */
const EXPORT_LIST_LIMIT = 200;

/** The organisation's exports, newest first. Kept live by `useExportListSubscription`. */
export const exportsQueryOptions = () =>
  queryOptions({
    queryKey: queryKeys.exports.list(),
    queryFn: ({ signal }) => apiFetch<ExportJob[]>(`/api/exports?limit=${EXPORT_LIST_LIMIT}`, { signal }),
  });

/** One job row. Kept live by `useExportJobSubscription` (Realtime UPDATEs go straight into this cache). */
export const exportQueryOptions = (id: string) =>
  queryOptions({
    queryKey: queryKeys.exports.detail(id),
    queryFn: ({ signal }) => apiFetch<ExportJob>(`/api/exports/${id}`, { signal }),
  });
