'use client';

import { useQueryClient } from '@tanstack/react-query';
import { LogOutIcon } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { createClient } from '@/lib/supabase/client';

export function SignOutButton() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="outline"
      size="sm"
      disabled={pending}
      onClick={async () => {
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
      }}
    >
      <LogOutIcon aria-hidden />
      Sign out
    </Button>
  );
}
