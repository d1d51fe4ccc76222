import { queryOptions } from '@tanstack/react-query';
import type { Notification } from '@/lib/exports/types';
import { createClient } from '@/lib/supabase/client';
import { NOTIFICATION_LIMIT } from './notification-cache';
import { queryKeys } from './keys';

/** The signed-in user's newest notifications (RLS: only their own). Kept live by Realtime INSERTs. */
export const notificationsQueryOptions = (userId: string) =>
  queryOptions({
    queryKey: queryKeys.notifications.list(userId),
    queryFn: async () => {
      const { data, error } = await createClient()
        .from('notifications')
        .select('*')
        .eq('user_id', userId)
        .order('created_at', { ascending: false })
        .limit(NOTIFICATION_LIMIT);
      if (error) throw new Error(`Loading notifications failed: ${error.message}`);
      return data as Notification[];
    },
  });
