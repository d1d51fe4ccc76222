import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { organisationStorageUse } from '@/lib/retention/organisation-storage-use';

type Ctx = { params: Promise<{ id: string }> };

/** Admins: bytes the organisation's export files take, in total and per export. */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'organisation id');
  const { supabase } = await requireUser(request);
  return Response.json(await organisationStorageUse(supabase, id));
});
