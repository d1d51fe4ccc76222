import { decideExportApproval, decideExportApprovalInput } from '@/lib/approvals/decide-export-approval';
import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';

type Ctx = { params: Promise<{ id: string }> };

/** An admin's decision on an export waiting for approval: `{ "decision": "approve" }` or `{ "decision": "decline", "reason": "…" }`. */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'export id');
  const deps = await routeDeps(request);
  const input = await parseJsonBody(request, decideExportApprovalInput);
  return Response.json(await decideExportApproval(deps, id, input));
});
