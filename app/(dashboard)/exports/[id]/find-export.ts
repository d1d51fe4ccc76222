import 'server-only';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import type { ExportJob } from '@/lib/exports/types';
import { createClient } from '@/lib/supabase/server';

/**
 * The export of an `/exports/[id]` page, read as the signed-in user (RLS decides), so another
 * organisation's export is "not found" exactly as in the API. Cached for the request: the segment's layout
 * asks first (see layout.tsx), the page asks again and gets the same row.
 */
export const findExportForPage = cache(async (id: string): Promise<ExportJob> => {
  // Signed out, the answer is the sign-in page (and back here), not "not found".
  await requireCurrentUser(`/exports/${id}`);
  if (!z.uuid().safeParse(id).success) notFound();
  try {
    return await getExportOrThrow(await createClient(), id);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') notFound();
    throw error;
  }
});
