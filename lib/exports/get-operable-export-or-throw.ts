import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { assertExportOperator } from './assert-export-operator';
import { getExportOrThrow } from './get-export-or-throw';
import type { ExportJob } from './types';

/**
 * A job the caller may change: one they can see (else 404, as for a job that does not exist) and whose
 * organisation lets their role change exports (else 403, the database's sentence). Every action that
 * changes an export starts here, before it looks at the job's state, so a viewer always hears about
 * their role — never "already cancelled" — and learns nothing about the job by trying.
 */
export async function getOperableExportOrThrow(client: TypedSupabaseClient, jobId: string): Promise<ExportJob> {
  const job = await getExportOrThrow(client, jobId);
  await assertExportOperator(client, job.organisation_id);
  return job;
}
