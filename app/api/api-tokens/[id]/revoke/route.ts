import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { revokeApiToken } from '@/lib/api-tokens/revoke-api-token';

type Ctx = { params: Promise<{ id: string }> };

export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'token id');
  const { supabase } = await requireUser(request);
  await revokeApiToken(supabase, id);
  return Response.json({ id, revoked: true });
});
