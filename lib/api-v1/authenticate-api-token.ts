import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { createAdminClient } from '@/lib/supabase/admin';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { API_TOKEN_PATTERN, hashApiToken } from './api-token-secret';
import { apiTokenScope, type ApiTokenScope } from './api-token-scopes';

/**
 * Who an API request acts for: an organisation, with exactly the token's scopes. `admin` is the service
 * client: it passes RLS, so every read and write made for a token filters by `organisationId` itself
 * (organisation-export.ts and its siblings) — the token holds no user JWT for RLS to check.
 */
export type ApiCaller = {
  tokenId: string;
  organisationId: string;
  scopes: readonly ApiTokenScope[];
  admin: TypedSupabaseClient;
};

const useOutcome = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('unknown') }),
  z.object({ outcome: z.literal('revoked'), name: z.string(), at: z.string() }),
  z.object({ outcome: z.literal('expired'), name: z.string(), at: z.string() }),
  z.object({ outcome: z.literal('limited'), limit: z.number(), retry_after_seconds: z.number() }),
  z.object({
    outcome: z.literal('ok'),
    token_id: z.uuid(),
    organisation_id: z.uuid(),
    scopes: z.array(apiTokenScope),
  }),
]);

const MANAGE = 'An admin can create one under Settings → API tokens.';

/**
 * Checks the `Authorization: Bearer baton_pat_…` token on every request (no cache: a revoke is seen by the
 * very next request) and counts the request against the token's per-minute limit, in one database call.
 */
export async function authenticateApiToken(request: Request): Promise<ApiCaller> {
  const header = request.headers.get('authorization');
  const bearer = header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (!bearer) {
    throw new AppError(
      'unauthenticated',
      `Send an API token in the header "Authorization: Bearer baton_pat_…". ${MANAGE}`,
    );
  }
  if (!API_TOKEN_PATTERN.test(bearer)) {
    throw new AppError(
      'unauthenticated',
      `That is not a Baton API token: tokens start with "baton_pat_" followed by 32 letters and digits. ${MANAGE}`,
    );
  }
  const admin = createAdminClient();
  const { data, error } = await admin.rpc('use_api_token', { p_token_hash: hashApiToken(bearer) });
  if (error) throw new Error(`Checking an API token failed: ${error.message}`);
  const used = useOutcome.parse(data);
  switch (used.outcome) {
    case 'unknown':
      throw new AppError('unauthenticated', `This API token is not known: check that it was copied whole. ${MANAGE}`);
    case 'revoked':
      throw new AppError(
        'unauthenticated',
        `The API token "${used.name}" was revoked on ${used.at}. Ask an admin for a new one (Settings → API tokens).`,
      );
    case 'expired':
      throw new AppError(
        'unauthenticated',
        `The API token "${used.name}" expired on ${used.at}. Ask an admin for a new one (Settings → API tokens).`,
      );
    case 'limited':
      throw new AppError(
        'too_many_requests',
        `This token may make ${used.limit} requests a minute; wait ${used.retry_after_seconds} s (the Retry-After header) and send it again.`,
        { retryAfterSeconds: used.retry_after_seconds },
      );
    case 'ok':
      return { tokenId: used.token_id, organisationId: used.organisation_id, scopes: used.scopes, admin };
  }
}

export function requireScope(caller: ApiCaller, scope: ApiTokenScope): void {
  if (!caller.scopes.includes(scope)) {
    throw new AppError(
      'forbidden',
      `This token lacks the "${scope}" scope (it has ${caller.scopes.map((s) => `"${s}"`).join(', ')}). ` +
        'Scopes are fixed when a token is created: ask an admin for a token that has it.',
    );
  }
}
