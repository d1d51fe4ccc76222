import { z } from 'zod';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ExportJob } from './types';

export const listExportsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** The caller's organisation's exports, newest first, read through their own client (RLS decides). */
export async function listExports(
  userClient: TypedSupabaseClient,
  { limit }: z.infer<typeof listExportsQuery>,
): Promise<ExportJob[]> {
  const { data, error } = await userClient
    .from('export_jobs')
    .select('*')
    .order('created_at', { ascending: false })
    .limit(limit)
    .overrideTypes<ExportJob[], { merge: false }>();
  if (error) throw new Error(`Listing exports failed: ${error.message}`);
  return data;
}
