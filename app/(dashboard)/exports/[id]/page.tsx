import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { z } from 'zod';
import { ExportView } from '@/components/export-detail/export-view';
import { AppError } from '@/lib/api/app-error';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { canOperateExports } from '@/lib/exports/assert-export-operator';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import type { ExportJob } from '@/lib/exports/types';
import { createClient } from '@/lib/supabase/server';

export const metadata: Metadata = { title: 'Export — Baton' };

/**
 * Reads the job as the signed-in user (RLS decides), so another organisation's export is a 404 here
 * exactly as in the API; the live view takes over from this first snapshot.
 */
export default async function ExportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) notFound();
  const user = await requireCurrentUser(`/exports/${id}`);
  const supabase = await createClient();
  let job: ExportJob;
  try {
    job = await getExportOrThrow(supabase, id);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') notFound();
    throw error;
  }
  // Viewers see and download; the actions that change a job are hidden for them (the API refuses them too).
  const canOperate = await canOperateExports(supabase, job.organisation_id);
  return (
    <Suspense>
      <ExportView initialJob={job} currentUserId={user.userId} canOperate={canOperate} />
    </Suspense>
  );
}
