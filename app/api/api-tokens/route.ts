import { parseJsonBody } from '@/lib/api/parse-json-body';
import { requireUser } from '@/lib/api/require-user';
import { handleRoute } from '@/lib/api/route-handler';
import { createApiToken, createApiTokenInput } from '@/lib/api-tokens/create-api-token';
import { listApiTokens } from '@/lib/api-tokens/list-api-tokens';

/** The tokens of the organisations the signed-in admin administers. */
export const GET = handleRoute(async (request) => {
  const { supabase } = await requireUser(request);
  return Response.json(await listApiTokens(supabase));
});

/** 201 with the token and its secret: the only time the secret is ever shown. */
export const POST = handleRoute(async (request) => {
  const { supabase } = await requireUser(request);
  const input = await parseJsonBody(request, createApiTokenInput);
  return Response.json(await createApiToken(supabase, input), {
    status: 201,
    headers: { 'Cache-Control': 'no-store' },
  });
});
