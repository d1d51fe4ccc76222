import { mutationOptions, type QueryClient } from '@tanstack/react-query';
import type { Notification } from '@/lib/exports/types';
import { createClient } from '@/lib/supabase/client';
import { queryKeys } from './keys';

/**
 * Marks notifications read. The only column a user may write (the migration grants `update (read_at)`
 * and RLS limits it to their own rows). Optimistic: the badge drops at once and comes back on error.
 */
export const markNotificationsReadMutationOptions = (queryClient: QueryClient, userId: string) =>
  mutationOptions({
    mutationFn: async (ids: string[]) => {
      if (ids.length === 0) return;
      const { error } = await createClient()
        .from('notifications')
        .update({ read_at: new Date().toISOString() })
        .in('id', ids);
      if (error) throw new Error(`Marking notifications read failed: ${error.message}`);
    },
    onMutate: async (ids) => {
      const key = queryKeys.notifications.list(userId);
      await queryClient.cancelQueries({ queryKey: key });
      const previous = queryClient.getQueryData<Notification[]>(key);
      const readAt = new Date().toISOString();
      queryClient.setQueryData<Notification[]>(key, (list) =>
        list?.map((n) => (ids.includes(n.id) && !n.read_at ? { ...n, read_at: readAt } : n)),
      );
      return { previous };
    },
    onError: (_error, _ids, context) => {
      if (context?.previous) queryClient.setQueryData(queryKeys.notifications.list(userId), context.previous);
    },
  });
