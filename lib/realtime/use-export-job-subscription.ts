'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { ExportJob } from '@/lib/exports/types';
import { storeJob } from '@/lib/queries/export-cache';
import { refetchManifestInFull } from '@/lib/queries/export-manifest-query';
import { queryKeys } from '@/lib/queries/keys';
import { connectionStateFor, type ConnectionState } from './connection-state';
import { listenToPrivateTopic, type RowChange } from './private-topic';

/**
 * Live job row: every change of this job, broadcast by the database on the private topic
 * `export:<job id>`, goes straight into the query cache. After every SUBSCRIBED (first join and each
 * rejoin) the row and manifest are read afresh, because broadcasts sent while the channel was down, or
 * before it was live, are never replayed: at the first join, what changed since the page's read (its
 * cursor covers whatever the channel missed); at a rejoin, the whole manifest, from scratch.
 */
export function useExportJobSubscription(jobId: string): { state: ConnectionState; lastMessageAt: number | null } {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ConnectionState>('connecting');
  // When the channel last delivered something (a change, or a join after which the row is read afresh):
  // what tells a live channel from one that says SUBSCRIBED over a dead socket.
  const [lastMessageAt, setLastMessageAt] = useState<number | null>(null);

  useEffect(() => {
    let joined = false;
    return listenToPrivateTopic(`export:${jobId}`, {
      onChange: (payload) => {
        const row = (payload as RowChange<ExportJob>).record;
        if (row?.id !== jobId) return;
        storeJob(queryClient, row);
        setLastMessageAt(Date.now());
      },
      onStatus: (status) => {
        setState(connectionStateFor(status));
        if (status === 'SUBSCRIBED') {
          setLastMessageAt(Date.now());
          void queryClient.invalidateQueries({ queryKey: queryKeys.exports.detail(jobId) });
          if (joined) void refetchManifestInFull(queryClient, jobId);
          else void queryClient.invalidateQueries({ queryKey: queryKeys.exports.manifest(jobId) });
          joined = true;
        }
      },
    });
  }, [jobId, queryClient]);

  return { state, lastMessageAt };
}
