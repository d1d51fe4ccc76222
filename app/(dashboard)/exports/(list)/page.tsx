import type { Metadata } from 'next';
import { Suspense } from 'react';
import { ExportsTable } from '@/components/exports/exports-table';
import { currentStartPermission } from '@/lib/auth/current-start-permission';
import { requireCurrentUser } from '@/lib/auth/current-user';

export const metadata: Metadata = { title: 'Exports — Baton' };

export default async function ExportsPage() {
  const user = await requireCurrentUser('/exports');
  const permission = await currentStartPermission(user.userId);
  return (
    <Suspense>
      <ExportsTable currentUserId={user.userId} startPermission={permission} />
    </Suspense>
  );
}
