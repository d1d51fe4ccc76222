'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { toast } from 'sonner';
import { createClient } from '@/lib/supabase/client';

/** Signs out, forgets everything cached of this user, and goes to the sign-in page. */
export function useSignOut(): { signOut: () => Promise<void>; pending: boolean } {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  const signOut = async () => {
    setPending(true);
    const { error } = await createClient().auth.signOut();
    if (error) {
      setPending(false);
      toast.error(`Signing out failed: ${error.message}`);
      return;
    }
    // Another user may sign in next in this tab: nothing of this one's may stay cached.
    queryClient.clear();
    router.replace('/sign-in');
    router.refresh();
  };
  return { signOut, pending };
}
