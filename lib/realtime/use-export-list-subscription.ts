'use client';

import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { ExportJob } from '@/lib/exports/types';
import { applyListMessage, storeJob } from '@/lib/queries/export-cache';
import { queryKeys } from '@/lib/queries/keys';
import { sourcesQueryOptions } from '@/lib/queries/sources-query';
import { connectionStateFor, type ConnectionState } from './connection-state';
import { exportListMessageSchema } from './export-list-message';
import { listenToPrivateTopic } from './private-topic';

/** A list that keeps drifting (a bug, not a lost message) is read afresh at most this often. */
const REFRESH_AT_MOST_EVERY_MS = 10_000;

/**
 * The export history, live, from the private topic `org:<organisation id>:exports` of each of the user's
 * organisations (joinable by its members only). Each message carries every unfinished export's progress
 * — at most one a second while only progress moves — and, when an export is created or changes state, its
 * whole row at once (export-list-message.ts). The organisations are those of the user's sources: a job
 * always has a source. A fresh list is read after every SUBSCRIBED, and whenever a message shows the list
 * has missed one (lost over Realtime's quota, or sent while the channel rejoined).
 */
export function useExportListSubscription(): ConnectionState {
  const queryClient = useQueryClient();
  const [states, setStates] = useState<Record<string, ConnectionState>>({});
  const { data: sources } = useQuery(sourcesQueryOptions());
  const key = [...new Set((sources ?? []).map((source) => source.organisation_id))].sort().join(',');

  useEffect(() => {
    const ids = key === '' ? [] : key.split(',');
    let refreshedAt = 0;
    const refresh = () => {
      if (Date.now() - refreshedAt < REFRESH_AT_MOST_EVERY_MS) return;
      refreshedAt = Date.now();
      void queryClient.invalidateQueries({ queryKey: queryKeys.exports.list() });
    };
    const closers = ids.map((organisationId) =>
      listenToPrivateTopic(`org:${organisationId}:exports`, {
        onChange: (payload) => applyToCache(queryClient, organisationId, payload, refresh),
        onStatus: (status) => {
          setStates((previous) => ({ ...previous, [organisationId]: connectionStateFor(status) }));
          if (status === 'SUBSCRIBED') {
            refreshedAt = Date.now();
            void queryClient.invalidateQueries({ queryKey: queryKeys.exports.list() });
          }
        },
      }),
    );
    return () => {
      for (const close of closers) close();
    };
  }, [key, queryClient]);

  // No source, no organisation to listen to: nothing can change, so nothing is missed.
  if (sources && key === '') return 'live';
  const all = Object.values(states);
  if (all.length === 0 || all.includes('connecting')) return 'connecting';
  return all.includes('reconnecting') ? 'reconnecting' : 'live';
}

function applyToCache(queryClient: QueryClient, organisationId: string, payload: unknown, refresh: () => void): void {
  const parsed = exportListMessageSchema.safeParse(payload);
  if (!parsed.success) {
    refresh();
    return;
  }
  const message = parsed.data;
  // The changed job's page, if it is open, gets the row too (its own topic sends it as well).
  if (message.job) storeJob(queryClient, message.job);
  let drifted = false;
  queryClient.setQueryData<ExportJob[]>(queryKeys.exports.list(), (list) => {
    const applied = applyListMessage(list, organisationId, message);
    drifted = applied.drifted;
    return applied.list;
  });
  if (drifted) refresh();
}
