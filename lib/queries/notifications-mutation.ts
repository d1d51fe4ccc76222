import { mutationOptions, type QueryClient } from '@tanstack/react-query';
import type { Notification } from '@/lib/exports/types';
import { createClient } from '@/lib/supabase/client';
import { withReadAt } from './notification-cache';
import { queryKeys } from './keys';

/** The key of every mark-read mutation of a user: the bell reads the pending ones' ids with it. */
export const markNotificationsReadKey = (userId: string) =>
  [...queryKeys.notifications.list(userId), 'mark-read'] as const;

/**
 * Marks notifications read. The only column a user may write (the migration grants `update (read_at)`
 * and RLS limits it to their own rows). Optimistic: the badge drops at once and comes back on error.
 *
 * A list read that was already under way when the write went out answers with the rows still unread
 * (a Realtime rejoin refetches the list at any moment): while the write is pending the bell counts its
 * ids as read whatever the cache says, and once it has landed the rows it returned go into the cache
 * and the list is read again, so the last word is the database's.
 */
export const markNotificationsReadMutationOptions = (queryClient: QueryClient, userId: string) =>
  mutationOptions({
    mutationKey: markNotificationsReadKey(userId),
    mutationFn: async (ids: string[]): Promise<Pick<Notification, 'id' | 'read_at'>[]> => {
      if (ids.length === 0) return [];
      const { data, error } = await createClient()
        .from('notifications')
        .update({ read_at: new Date().toISOString() })
        .in('id', ids)
        .select('id, read_at');
      if (error) throw new Error(`Marking notifications read failed: ${error.message}`);
      // RLS filters an update silently: a row it left out is still unread, which must not look read.
      if (data.length < ids.length)
        throw new Error(`Marking notifications read failed for ${ids.length - data.length}`);
      return data;
    },
    onMutate: async (ids) => {
      const key = queryKeys.notifications.list(userId);
      await queryClient.cancelQueries({ queryKey: key });
      const readAt = new Date().toISOString();
      queryClient.setQueryData<Notification[]>(key, (list) =>
        withReadAt(
          list,
          ids.map((id) => ({ id, read_at: readAt })),
        ),
      );
    },
    onSuccess: (rows) => {
      queryClient.setQueryData<Notification[]>(queryKeys.notifications.list(userId), (list) => withReadAt(list, rows));
    },
    onError: (_error, ids) => {
      // Only these go back to unread (the bell marks unread ones only): what arrived meanwhile stays.
      queryClient.setQueryData<Notification[]>(queryKeys.notifications.list(userId), (list) =>
        withReadAt(
          list,
          ids.map((id) => ({ id, read_at: null })),
        ),
      );
    },
    onSettled: () => {
      // The last mark-read to settle reads the list again; an earlier one would only race the others.
      if (queryClient.isMutating({ mutationKey: markNotificationsReadKey(userId) }) === 1)
        void queryClient.invalidateQueries({ queryKey: queryKeys.notifications.list(userId), exact: true });
    },
  });
