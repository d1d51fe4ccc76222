import { isAuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import { checkAccessToken } from './check-access-token';
import type { AccessTokenCheck } from './verify-access-token';

export type SessionCheck = AccessTokenCheck | { status: 'signed-out' };

/**
 * The session a client holds (its cookies), verified. getSession() only reads the cookie, refreshing it
 * when the access token is due; never trust what it returns until the token is checked.
 */
export async function readSession(supabase: Pick<SupabaseClient, 'auth'>): Promise<SessionCheck> {
  const { data, error } = await supabase.auth.getSession();
  if (error && isAuthRetryableFetchError(error)) {
    return {
      status: 'unavailable',
      message: 'Your session could not be renewed because Supabase Auth did not answer. Try again in a moment.',
    };
  }
  // A refresh Auth refused: auth-js has already removed the session.
  if (!data.session) return { status: 'signed-out' };
  return checkAccessToken(supabase, data.session.access_token);
}
