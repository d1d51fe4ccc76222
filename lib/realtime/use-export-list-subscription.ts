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
 * The export history, live: new jobs and every progress update of the organisation's jobs (Realtime
 * delivers only rows RLS lets this user read). A fresh list is read after every SUBSCRIBED.
 */
export function useExportListSubscription(): ConnectionState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ConnectionState>('connecting');

  useEffect(() => {
    let disposed = false;
    const onRow = (payload: { new: Partial<ExportJob> }) => {
      const row = payload.new;
      if (row.id && row.updated_at) storeJob(queryClient, row as ExportJob);
    };
    const close = openChannel((supabase) =>
      supabase
        .channel(uniqueTopic('export-jobs:list'))
        .on<ExportJob>('postgres_changes', { event: 'INSERT', schema: 'public', table: 'export_jobs' }, onRow)
        .on<ExportJob>('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'export_jobs' }, onRow)
        .subscribe((status) => {
          if (disposed) return;
          setState(connectionStateFor(status));
          if (status === 'SUBSCRIBED') void queryClient.invalidateQueries({ queryKey: queryKeys.exports.list() });
        }),
    );
    return () => {
      disposed = true;
      close();
    };
  }, [queryClient]);

  return state;
}
