'use client';

import { LogOutIcon } from 'lucide-react';
import { Button } from '@/components/ui/button';
import { useSignOut } from './use-sign-out';

export function SignOutButton() {
  const { signOut, pending } = useSignOut();
  return (
    <Button variant="outline" size="sm" disabled={pending} onClick={() => void signOut()}>
      <LogOutIcon aria-hidden />
      Sign out
    </Button>
  );
}
