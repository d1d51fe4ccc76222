import type { Metadata } from 'next';
import { Suspense } from 'react';
import { ExportView } from '@/components/export-detail/export-view';
import { currentCanOperate } from '@/lib/auth/current-can-operate';
import { currentMemberships } from '@/lib/auth/current-memberships';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { findExportForPage } from './find-export';

export const metadata: Metadata = { title: 'Export — Baton' };

/** The job as the signed-in user may see it (see find-export.ts); the live view takes over from this snapshot. */
export default async function ExportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireCurrentUser(`/exports/${id}`);
  const job = await findExportForPage(id);
  // Viewers see and download; the actions that change a job are hidden for them (the API refuses them too).
  const [canOperate, memberships] = await Promise.all([
    currentCanOperate(job.organisation_id),
    currentMemberships(user.userId),
  ]);
  const isAdmin = memberships.some((m) => m.organisation_id === job.organisation_id && m.role === 'admin');
  return (
    <Suspense>
      <ExportView initialJob={job} currentUserId={user.userId} canOperate={canOperate} isAdmin={isAdmin} />
    </Suspense>
  );
}
