import { z } from 'zod';
import { withoutNul } from '@/lib/api/text-without-nul';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { getExportOrThrow } from './get-export-or-throw';
import type { ExportJob } from './types';

export const renameExportInput = z
  .object({
    name: withoutNul(
      z
        .string({ error: 'name must be text' })
        .trim()
        .min(1, { error: 'Give the export a name (at least one character).' })
        .max(200, { error: 'A name may be at most 200 characters.' }),
      'The name',
    ),
  })
  .strict();

/**
 * Renames an export the caller may see (RLS decides, through their own client), so identical exports can
 * be told apart. Users cannot write jobs: the change is made with the secret key, acting for the caller,
 * and the history records who renamed it.
 */
export async function renameExport(
  deps: { user: { supabase: TypedSupabaseClient }; admin: TypedSupabaseClient },
  jobId: string,
  input: z.infer<typeof renameExportInput>,
): Promise<ExportJob> {
  const job = await getExportOrThrow(deps.user.supabase, jobId);
  if (job.name === input.name) return job;
  const { data, error } = await deps.admin
    .from('export_jobs')
    .update({ name: input.name })
    .eq('id', jobId)
    .select('*')
    .single<ExportJob>();
  if (error) throw new Error(`Renaming export ${jobId} failed: ${error.message}`);
  return data;
}
