'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useEffectEvent } from 'react';
import type { Notification } from '@/lib/exports/types';
import { prependNotification } from '@/lib/queries/notification-cache';
import { openChannel } from './open-channel';
import { uniqueTopic } from './unique-topic';
import { queryKeys } from '@/lib/queries/keys';

/** New notifications of the signed-in user over Realtime, into the cache; `onArrive` shows the toast. */
export function useNotificationsSubscription(userId: string, onArrive: (n: Notification) => void) {
  const queryClient = useQueryClient();
  const arrive = useEffectEvent(onArrive);

  useEffect(() => {
    return openChannel((supabase) =>
      supabase
        .channel(uniqueTopic(`notifications:${userId}`))
        .on<Notification>(
          'postgres_changes',
          { event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${userId}` },
          (payload) => {
            if (!payload.new || !('id' in payload.new)) return;
            const item = payload.new;
            const key = queryKeys.notifications.list(userId);
            const seen = queryClient.getQueryData<Notification[]>(key)?.some((n) => n.id === item.id);
            queryClient.setQueryData<Notification[]>(key, (list) => prependNotification(list, item));
            if (!seen) arrive(item);
          },
        )
        .subscribe((status) => {
          // An outcome that landed while the channel was down is not replayed: read the list afresh.
          if (status === 'SUBSCRIBED')
            void queryClient.invalidateQueries({ queryKey: queryKeys.notifications.list(userId) });
        }),
    );
  }, [userId, queryClient]);
}
