import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import {
  organisationSettingsInput,
  readOrganisationSettings,
  updateOrganisationSettings,
} from '@/lib/retention/organisation-settings';

type Ctx = { params: Promise<{ id: string }> };

/** The retention period and approval threshold (any member may read them). */
export const GET = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'organisation id');
  const { supabase } = await requireUser(request);
  return Response.json(await readOrganisationSettings(supabase, id));
});

/** Admins: `{ "retentionDays": 1–365, "approvalThreshold": <records> | null }`; answers the organisation. */
export const PUT = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'organisation id');
  const { supabase } = await requireUser(request);
  const input = await parseJsonBody(request, organisationSettingsInput);
  return Response.json(await updateOrganisationSettings(supabase, id, input));
});
