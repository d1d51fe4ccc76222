import { mutationOptions, type QueryClient } from '@tanstack/react-query';
import type { ExportJob, ExportFormat } from '@/lib/exports/types';
import type { RetryPlan } from '@/lib/exports/retry-export';
import { apiFetch } from './api-fetch';
import { storeJob } from './export-cache';
import { queryKeys } from './keys';

export type { RetryPlan };

export type StartExportBody = {
  sourceId: string;
  format: ExportFormat;
  fields?: string[];
  filter?: string | null;
  /** 1–8 lanes in parallel; omitted: one per ~25,000 records. */
  lanes?: number;
  /** CSV: prefix text cells that start with = + - @ tab CR with a `'` (default on). */
  neutraliseFormulas?: boolean;
};

export type RetryBody = { shardNos?: number[]; dryRun?: boolean; verify?: 'none' | 'size' | 'checksum' };
export type RetryResult = { plan: RetryPlan; job: ExportJob };

export const startExportMutationOptions = (queryClient: QueryClient) =>
  mutationOptions({
    mutationFn: (body: StartExportBody) => apiFetch<ExportJob>('/api/exports', { method: 'POST', json: body }),
    onSuccess: (job) => storeJob(queryClient, job),
  });

/** 202 while the worker still has to see it (the "Cancelling…" phase); the job row says when it did. */
export const cancelExportMutationOptions = (queryClient: QueryClient, id: string) =>
  mutationOptions({
    mutationFn: () => apiFetch<ExportJob>(`/api/exports/${id}/cancel`, { method: 'POST', json: {} }),
    onSuccess: (job) => storeJob(queryClient, job),
  });

/** `dryRun` answers the plan only (the confirm dialog's preview); otherwise the job is requeued. */
export const retryExportMutationOptions = (queryClient: QueryClient, id: string) =>
  mutationOptions({
    mutationFn: (body: RetryBody) => apiFetch<RetryResult>(`/api/exports/${id}/retry`, { method: 'POST', json: body }),
    onSuccess: (result, body) => {
      if (body.dryRun) return;
      storeJob(queryClient, result.job);
      void queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(id) });
      queryClient.removeQueries({ queryKey: queryKeys.exports.verification(id) });
    },
  });

/** Renames an export (1–200 characters); the activity records who did. */
export const renameExportMutationOptions = (queryClient: QueryClient, id: string) =>
  mutationOptions({
    mutationFn: (name: string) => apiFetch<ExportJob>(`/api/exports/${id}`, { method: 'PATCH', json: { name } }),
    onSuccess: (job) => {
      storeJob(queryClient, job);
      void queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(id) });
    },
  });

/** An admin pins the export's files until a date (ISO), or unpins them (null). */
export const keepExportMutationOptions = (queryClient: QueryClient, id: string) =>
  mutationOptions({
    mutationFn: (until: string | null) =>
      apiFetch<ExportJob>(`/api/exports/${id}/keep`, { method: 'PUT', json: { until } }),
    onSuccess: (job) => storeJob(queryClient, job),
  });

export type ApprovalDecision = { decision: 'approve' } | { decision: 'decline'; reason: string };

/** An admin approves an export waiting for approval (it starts) or declines it with a reason (it ends). */
export const decideApprovalMutationOptions = (queryClient: QueryClient, id: string) =>
  mutationOptions({
    mutationFn: (body: ApprovalDecision) =>
      apiFetch<ExportJob>(`/api/exports/${id}/approval`, { method: 'POST', json: body }),
    onSuccess: (job) => {
      storeJob(queryClient, job);
      void queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(id) });
    },
  });
