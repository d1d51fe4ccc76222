import { z } from 'zod';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { readSystemHealth } from '@/lib/system/read-system-health';

/** It takes no parameters: any sent is a mistake worth saying, not something to ignore. */
const noQuery = z.strictObject({}, { error: 'System health takes no query parameters.' });

/**
 * System health of the organisations where the caller is support or admin; 403 with the database's
 * sentence for anyone else.
 */
export const GET = handleRoute(async (request) => {
  noQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { supabase } = await requireUser(request);
  return Response.json(await readSystemHealth(supabase), { headers: { 'Cache-Control': 'no-store' } });
});
