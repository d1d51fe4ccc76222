'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { ExportJob } from '@/lib/exports/types';
import { storeJob } from '@/lib/queries/export-mutations';
import { queryKeys } from '@/lib/queries/keys';
import { openChannel } from './open-channel';
import { uniqueTopic } from './unique-topic';
import { connectionStateFor, type ConnectionState } from './connection-state';

/**
 * Live job row: every Realtime UPDATE of `export_jobs` for this id goes straight into the query cache.
 * After every SUBSCRIBED (first join and each rejoin) the row and manifest are read afresh, because
 * changes made while the channel was down, or before it was live, are never replayed.
 */
export function useExportJobSubscription(jobId: string): ConnectionState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ConnectionState>('connecting');

  useEffect(() => {
    let disposed = false;
    const close = openChannel((supabase) =>
      supabase
        .channel(uniqueTopic(`export-job:${jobId}`))
        .on<ExportJob>(
          'postgres_changes',
          { event: 'UPDATE', schema: 'public', table: 'export_jobs', filter: `id=eq.${jobId}` },
          (payload) => {
            if (payload.new && 'id' in payload.new) storeJob(queryClient, payload.new);
          },
        )
        .subscribe((status) => {
          if (disposed) return;
          setState(connectionStateFor(status));
          if (status === 'SUBSCRIBED') {
            void queryClient.invalidateQueries({ queryKey: queryKeys.exports.detail(jobId) });
            void queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(jobId) });
          }
        }),
    );
    return () => {
      disposed = true;
      close();
    };
  }, [jobId, queryClient]);

  return state;
}
