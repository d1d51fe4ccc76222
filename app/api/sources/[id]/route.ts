import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { countMatching } from '@/lib/sources/count-matching';
import { getSourceOrThrow } from '@/lib/sources/get-source-or-throw';
import { getSourceSchema } from '@/lib/sources/source-schema';

type Ctx = { params: Promise<{ id: string }> };

/** A source with its exportable fields (schema order) and how many records it holds for this organisation. */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'source id');
  const deps = await routeDeps(request);
  const source = await getSourceOrThrow(deps.user.supabase, id);
  const [schema, records] = await Promise.all([
    getSourceSchema(deps.typesense, source),
    countMatching(deps.typesense, source, null),
  ]);
  return Response.json({ ...source, fields: schema.fields, records });
});
