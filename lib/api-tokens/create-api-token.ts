import { z } from 'zod';
import { rpcError } from '@/lib/api/rpc-error';
import { withoutNul } from '@/lib/api/text-without-nul';
import { generateApiToken } from '@/lib/api-v1/api-token-secret';
import { apiTokenScope } from '@/lib/api-v1/api-token-scopes';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import type { ApiTokenRow } from './types';

/** A token lives at most a year: a forgotten token in an old script should stop working on its own. */
export const MAX_TOKEN_DAYS = 365;

export const createApiTokenInput = z
  .object({
    organisationId: z.uuid({ error: 'organisationId must be the UUID of your organisation' }),
    name: withoutNul(
      z
        .string()
        .trim()
        .min(1, { error: 'Give the token a name, e.g. the script or system that will use it' })
        .max(100, { error: 'The name can be at most 100 characters' }),
      'The name',
    ),
    scopes: z
      .array(apiTokenScope, { error: 'scopes must be a list of exports:read, exports:write and downloads' })
      .min(1, { error: 'Choose at least one scope' })
      .transform((scopes) => [...new Set(scopes)]),
    expiresInDays: z
      .number({ error: `expiresInDays must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}` })
      .int({ error: `expiresInDays must be a whole number of days from 1 to ${MAX_TOKEN_DAYS}` })
      .min(1, { error: 'A token must live at least 1 day' })
      .max(MAX_TOKEN_DAYS, { error: `A token can live at most ${MAX_TOKEN_DAYS} days` }),
  })
  .strict();

/**
 * Creates an organisation API token as the signed-in admin (the database checks the role). The secret
 * is answered here once and never stored: only its hash reaches the database.
 */
export async function createApiToken(
  userClient: TypedSupabaseClient,
  rawInput: z.input<typeof createApiTokenInput>,
): Promise<{ token: ApiTokenRow; secret: string }> {
  const input = createApiTokenInput.parse(rawInput);
  const { secret, prefix, hash } = generateApiToken();
  const { data, error } = await userClient.rpc('create_api_token', {
    p_organisation_id: input.organisationId,
    p_name: input.name,
    p_scopes: input.scopes,
    p_expires_at: new Date(Date.now() + input.expiresInDays * 86_400_000).toISOString(),
    p_prefix: prefix,
    p_token_hash: hash,
  });
  if (error) throw rpcError(error, 'Creating the API token');
  return { token: data as unknown as ApiTokenRow, secret };
}
