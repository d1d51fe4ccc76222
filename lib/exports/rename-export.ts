import { z } from 'zod';
import { rpcError } from '@/lib/api/rpc-error';
import { withoutNul } from '@/lib/api/text-without-nul';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { getOperableExportOrThrow } from './get-operable-export-or-throw';
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
 * Renames an export, so identical exports can be told apart. Changing a name is a member's (support's,
 * an admin's), not a viewer's: refused with 403 even when the name would not change. Through the
 * caller's own client: `rename_export` checks their role again, and the history records them as the
 * one who renamed it.
 */
export async function renameExport(
  deps: { user: { supabase: TypedSupabaseClient } },
  jobId: string,
  input: z.infer<typeof renameExportInput>,
): Promise<ExportJob> {
  const job = await getOperableExportOrThrow(deps.user.supabase, jobId);
  if (job.name === input.name) return job;
  const { data, error } = await deps.user.supabase
    .rpc('rename_export', { p_job_id: jobId, p_name: input.name })
    .single<ExportJob>();
  if (error) throw rpcError(error, `Renaming export ${jobId}`);
  return data;
}
