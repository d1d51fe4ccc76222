import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { SHARE_LINK_COLUMNS, type ShareLink } from './types';

/** An export's share links, newest first, for anyone who can see the export (RLS). */
export async function listShareLinks(client: TypedSupabaseClient, jobId: string): Promise<ShareLink[]> {
  await getExportOrThrow(client, jobId);
  const { data, error } = await client
    .from('export_share_links')
    .select(SHARE_LINK_COLUMNS)
    .eq('job_id', jobId)
    .order('created_at', { ascending: false })
    .returns<ShareLink[]>();
  if (error) throw new Error(`Reading the share links of export ${jobId} failed: ${error.message}`);
  return data;
}
