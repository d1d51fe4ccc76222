import type { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import type { ExportJob } from '@/lib/exports/types';
import type { ApiCaller } from './authenticate-api-token';
import { toExportResource, type exportPage, type listExportsParams } from './schemas';

type Cursor = { createdAt: string; id: string };

/** Opaque to clients: the last row's sort key, so a page never skips or repeats a row as new ones arrive. */
function encodeCursor(job: Pick<ExportJob, 'created_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([job.created_at, job.id])).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (
      typeof createdAt === 'string' &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof id === 'string' &&
      /^[0-9a-f-]{36}$/.test(id)
    )
      return { createdAt, id };
  } catch {
    // falls through to the 400 below
  }
  throw new AppError(
    'bad_request',
    'cursor is not one this API gave out: pass the nextCursor of the previous page as it was.',
  );
}

/** The token organisation's exports, newest first, a page at a time (keyset on created_at, id). */
export async function listOrganisationExports(
  caller: ApiCaller,
  params: z.output<typeof listExportsParams>,
): Promise<z.infer<typeof exportPage>> {
  let query = caller.admin
    .from('export_jobs')
    .select('*')
    .eq('organisation_id', caller.organisationId)
    .order('created_at', { ascending: false })
    .order('id', { ascending: false })
    // One more than asked: whether it comes back says whether there is a next page.
    .limit(params.limit + 1);
  if (params.status) query = query.in('status', params.status);
  if (params.createdAfter) query = query.gte('created_at', params.createdAfter);
  if (params.createdBefore) query = query.lt('created_at', params.createdBefore);
  if (params.cursor) {
    const { createdAt, id } = decodeCursor(params.cursor);
    query = query.or(`created_at.lt."${createdAt}",and(created_at.eq."${createdAt}",id.lt.${id})`);
  }
  const { data, error } = await query.overrideTypes<ExportJob[], { merge: false }>();
  if (error) throw new Error(`Listing exports failed: ${error.message}`);
  const page = data.slice(0, params.limit);
  const last = page.at(-1);
  return {
    data: page.map(toExportResource),
    nextCursor: data.length > params.limit && last ? encodeCursor(last) : null,
  };
}
