import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { AppError } from '@/lib/api/app-error';
import type { ExportJob } from './types';

/**
 * A job the caller may see, read through their own client so RLS decides. Another organisation's job
 * is indistinguishable from a missing one: 404, never a 403 that confirms it exists.
 */
export async function getExportOrThrow(userClient: TypedSupabaseClient, jobId: string): Promise<ExportJob> {
  const { data, error } = await userClient.from('export_jobs').select('*').eq('id', jobId).maybeSingle<ExportJob>();
  if (error) throw new Error(`Reading export ${jobId} failed: ${error.message}`);
  if (!data) throw new AppError('not_found', `Export ${jobId} was not found.`);
  return data;
}
