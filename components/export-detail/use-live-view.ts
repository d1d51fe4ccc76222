'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useNow } from '@/components/hooks/use-now';
import { useOnline } from '@/components/hooks/use-online';
import { refetchManifestInFull } from '@/lib/queries/export-manifest-query';
import { queryKeys } from '@/lib/queries/keys';
import type { ConnectionState } from '@/lib/realtime/connection-state';
import { liveness, type Liveness } from '@/lib/realtime/liveness';
import { rejoinPrivateTopic } from '@/lib/realtime/private-topic';

/**
 * Whether the export page may call itself live: the channel's state, the browser's online flag and
 * the time since the job row last arrived. When a running job goes silent, the page reads the row and
 * the whole manifest afresh and rejoins the channel (once per silence); when the browser comes back
 * online, it reads the row afresh too (the rejoin that follows reads the manifest).
 */
export function useLiveView(
  jobId: string,
  channel: ConnectionState,
  expectingUpdates: boolean,
  lastUpdateAt: number | null,
): Liveness & { now: number } {
  const queryClient = useQueryClient();
  const online = useOnline();
  // The clock ticks while something can change: updates expected, or the connection is not live.
  const now = useNow(1000, expectingUpdates || !online || channel !== 'live');
  const live = liveness({ channel, online, expectingUpdates, lastUpdateAt, now });

  useEffect(() => {
    if (live.reason !== 'silent') return;
    void queryClient.invalidateQueries({ queryKey: queryKeys.exports.detail(jobId) });
    void refetchManifestInFull(queryClient, jobId);
    rejoinPrivateTopic(`export:${jobId}`);
    // Once per silence: a new update moves lastUpdateAt and arms this again.
  }, [live.reason, lastUpdateAt, jobId, queryClient]);

  useEffect(() => {
    if (!online) return;
    void queryClient.invalidateQueries({ queryKey: queryKeys.exports.detail(jobId) });
  }, [online, jobId, queryClient]);

  return { ...live, now };
}
