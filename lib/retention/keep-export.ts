import { z } from 'zod';
import { rpcError } from '@/lib/api/rpc-error';
import type { ExportJob } from '@/lib/exports/types';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

export const keepExportInput = z
  .object({
    /** Keep the files at least until then; null gives the export back the organisation's retention. */
    until: z.iso
      .datetime({ offset: true, error: 'until must be a date and time (ISO 8601), or null to stop keeping it' })
      .nullable(),
  })
  .strict();

/** An admin pins an export's files until a date (within a year), or unpins it; `keep_export` checks the role. */
export async function keepExport(
  deps: { user: { supabase: TypedSupabaseClient } },
  jobId: string,
  input: z.infer<typeof keepExportInput>,
): Promise<ExportJob> {
  const { data, error } = await deps.user.supabase
    .rpc('keep_export', { p_job_id: jobId, p_until: input.until ?? undefined })
    .single<ExportJob>();
  if (error) throw rpcError(error, `Keeping export ${jobId}`);
  return data;
}
