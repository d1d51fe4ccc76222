import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { listSources } from '@/lib/sources/list-sources';

export const GET = handleRoute(async (request) => {
  const { supabase } = await requireUser(request);
  return Response.json(await listSources(supabase));
});
