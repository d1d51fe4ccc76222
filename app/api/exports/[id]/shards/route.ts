import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { manifestReadQuery, readExportManifest, readExportManifestChanges } from '@/lib/exports/read-export-manifest';
import { verifyExportStorage } from '@/lib/exports/verify-export-storage';

type Ctx = { params: Promise<{ id: string }> };

/**
 * The manifest, replaced and failed attempts, invocation timeline, events and the colleagues they name,
 * with a cursor; with `since`, only what changed after the read that gave that cursor; with `verify`,
 * what storage really holds (member role and up).
 */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const { verify, since } = manifestReadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const deps = await routeDeps(request);
  if (since !== undefined) return Response.json(await readExportManifestChanges(deps.user.supabase, id, since));
  if (verify) return Response.json(await verifyExportStorage(deps, id, { checksums: verify === 'checksum' }));
  return Response.json({ ...(await readExportManifest(deps.user.supabase, id)), verification: null });
});
