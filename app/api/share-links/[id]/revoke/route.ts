import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { revokeShareLink } from '@/lib/share-links/revoke-share-link';

type Ctx = { params: Promise<{ id: string }> };

/** The link answers 404 from its next request on; revoking twice changes nothing. */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const linkId = parseUuidParam((await params).id, 'share link id');
  const user = await requireUser(request);
  await revokeShareLink({ user }, linkId);
  return Response.json({ id: linkId });
});
