import { z } from 'zod';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ExportJob } from './types';

const LIMIT_ERROR = 'limit must be a whole number from 1 to 200, in decimal digits (e.g. limit=50)';

/** Decimal digits only: `Number()` would also read `0x10`, `1e1`, ` 16 ` and `16.0` as numbers. */
export const listExportsQuery = z.object({
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,2}$/, { error: LIMIT_ERROR, abort: true })
    .transform(Number)
    .pipe(z.number().max(200, { error: LIMIT_ERROR }))
    .default(50),
});

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
