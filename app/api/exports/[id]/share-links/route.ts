import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { createShareLink, createShareLinkInput } from '@/lib/share-links/create-share-link';
import { listShareLinks } from '@/lib/share-links/list-share-links';

type Ctx = { params: Promise<{ id: string }> };

/** The export's share links, newest first (never their tokens). */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const { supabase } = await requireUser(request);
  return Response.json(await listShareLinks(supabase, id), { headers: { 'Cache-Control': 'no-store' } });
});

/**
 * Share: `{ "expiresInHours": 24, "forms": ["plain", "gzip"], "note": "for Acme" }` (all optional).
 * 201 with the link, its token and its path: the only time the token is ever shown.
 */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const user = await requireUser(request);
  const input = await parseJsonBody(request, createShareLinkInput);
  return Response.json(await createShareLink({ user }, id, input), {
    status: 201,
    headers: { 'Cache-Control': 'no-store' },
  });
});
