'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useEffectEvent } from 'react';
import type { Notification } from '@/lib/exports/types';
import { prependNotification, withReadAt } from '@/lib/queries/notification-cache';
import { queryKeys } from '@/lib/queries/keys';
import { listenToPrivateTopic, type RowChange } from './private-topic';

/**
 * New notifications of the signed-in user, and reads of them, broadcast on the private topic
 * `user:<user id>:notifications` (only that user may join it), into the cache; `onArrive` shows the toast
 * of a new one.
 */
export function useNotificationsSubscription(userId: string, onArrive: (n: Notification) => void) {
  const queryClient = useQueryClient();
  const arrive = useEffectEvent(onArrive);

  useEffect(
    () =>
      listenToPrivateTopic(`user:${userId}:notifications`, {
        onChange: (payload) => {
          const change = payload as RowChange<Notification>;
          const item = change.record;
          if (!item?.id) return;
          const key = queryKeys.notifications.list(userId);
          // Read here or in another tab: every tab's badge follows.
          if (change.operation === 'UPDATE') {
            queryClient.setQueryData<Notification[]>(key, (list) => withReadAt(list, [item]));
            return;
          }
          if (change.operation !== 'INSERT') return;
          const seen = queryClient.getQueryData<Notification[]>(key)?.some((n) => n.id === item.id);
          queryClient.setQueryData<Notification[]>(key, (list) => prependNotification(list, item));
          if (!seen) arrive(item);
        },
        onStatus: (status) => {
          // An outcome that landed while the channel was down is not replayed: read the list afresh.
          if (status === 'SUBSCRIBED')
            void queryClient.invalidateQueries({ queryKey: queryKeys.notifications.list(userId) });
        },
      }),
    [userId, queryClient],
  );
}
