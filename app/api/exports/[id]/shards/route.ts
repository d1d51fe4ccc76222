import { z } from 'zod';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import { listOrganisationMembers } from '@/lib/exports/list-organisation-members';
import { listShards } from '@/lib/exports/list-shards';
import { verifyShards } from '@/lib/exports/verify-shards';
import { assertExportOperator } from '@/lib/exports/assert-export-operator';

type Ctx = { params: Promise<{ id: string }> };

// `verify=1` compares the objects' sizes in storage's backend with the manifest; `verify=checksum` also hashes every object.
const query = z.object({
  verify: z
    .enum(['0', '1', 'size', 'checksum'], { error: 'verify must be 0, 1, size or checksum' })
    .default('0')
    .transform((v) => (v === '0' ? null : v === 'checksum' ? 'checksum' : 'size')),
});

/**
 * The manifest, replaced and failed attempts, invocation timeline, events and the colleagues they name; with `verify`, what storage really holds. */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const { verify } = query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const deps = await routeDeps(request);
  const job = await getExportOrThrow(deps.user.supabase, id);
  const [manifest, members] = await Promise.all([
    listShards(deps.user.supabase, job.id),
    listOrganisationMembers(deps.user.supabase),
  ]);
  // Verifying reads every object: an operator's action, not a viewer's.
  if (verify) await assertExportOperator(deps.user.supabase, job.organisation_id);
  const verification = verify ? await verifyShards(deps, manifest.shards, { checksums: verify === 'checksum' }) : null;
  return Response.json({ job, ...manifest, members, verification });
});
