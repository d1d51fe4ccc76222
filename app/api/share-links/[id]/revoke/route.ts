import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { revokeShareLink } from '@/lib/share-links/revoke-share-link';

type Ctx = { params: Promise<{ id: string }> };

/** 204: the link answers 404 from its next request on. */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const linkId = parseUuidParam((await params).id, 'share link id');
  const user = await requireUser(request);
  await revokeShareLink({ user }, linkId);
  return new Response(null, { status: 204 });
});
