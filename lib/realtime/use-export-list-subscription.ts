'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { ExportJob } from '@/lib/exports/types';
import { storeJob } from '@/lib/queries/export-cache';
import { queryKeys } from '@/lib/queries/keys';
import { sourcesQueryOptions } from '@/lib/queries/sources-query';
import { connectionStateFor, type ConnectionState } from './connection-state';
import { listenToPrivateTopic } from './private-topic';

/**
 * The export history, live: new jobs and every progress update of an organisation's jobs, broadcast on
 * the private topic `org:<organisation id>:exports` of each of the user's organisations (joinable by its
 * members only). The organisations are those of the user's sources: a job always has a source. A fresh
 * list is read after every SUBSCRIBED.
 */
export function useExportListSubscription(): ConnectionState {
  const queryClient = useQueryClient();
  const [states, setStates] = useState<Record<string, ConnectionState>>({});
  const { data: sources } = useQuery(sourcesQueryOptions());
  const key = [...new Set((sources ?? []).map((source) => source.organisation_id))].sort().join(',');

  useEffect(() => {
    const ids = key === '' ? [] : key.split(',');
    const closers = ids.map((organisationId) =>
      listenToPrivateTopic(`org:${organisationId}:exports`, {
        onChange: (change) => {
          const row = change.record as ExportJob | null;
          if (row?.id && row.updated_at) storeJob(queryClient, row);
        },
        onStatus: (status) => {
          setStates((previous) => ({ ...previous, [organisationId]: connectionStateFor(status) }));
          if (status === 'SUBSCRIBED') void queryClient.invalidateQueries({ queryKey: queryKeys.exports.list() });
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
