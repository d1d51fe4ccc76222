import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { manifestReadQuery, readExportManifest, readExportManifestChanges } from '@/lib/exports/read-export-manifest';
import { verifyShards } from '@/lib/exports/verify-shards';
import { assertExportOperator } from '@/lib/exports/assert-export-operator';

type Ctx = { params: Promise<{ id: string }> };

/**
 * The manifest, replaced and failed attempts, invocation timeline, events and the colleagues they name,
 * with a cursor; with `since`, only what changed after the read that gave that cursor; with `verify`,
 * what storage really holds.
 */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const { verify, since } = manifestReadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const deps = await routeDeps(request);
  if (since !== undefined) return Response.json(await readExportManifestChanges(deps.user.supabase, id, since));
  const manifest = await readExportManifest(deps.user.supabase, id);
  // Verifying reads every object: an operator's action, not a viewer's.
  if (verify) await assertExportOperator(deps.user.supabase, manifest.job.organisation_id);
  const verification = verify ? await verifyShards(deps, manifest.shards, { checksums: verify === 'checksum' }) : null;
  return Response.json({ ...manifest, verification });
});
