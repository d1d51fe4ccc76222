import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { keepExport, keepExportInput } from '@/lib/retention/keep-export';

type Ctx = { params: Promise<{ id: string }> };

/** Pin: `{ "until": "2027-03-01T00:00:00Z" }` keeps the files until then; `{ "until": null }` unpins. */
export const PUT = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const user = await requireUser(request);
  const input = await parseJsonBody(request, keepExportInput);
  return Response.json(await keepExport({ user }, id, input));
});
