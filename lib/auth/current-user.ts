import 'server-only';
import { redirect } from 'next/navigation';
import { createClient } from '@/lib/supabase/server';

export type CurrentUser = { userId: string; email: string | undefined };

/**
 * The signed-in user of a dashboard page, or a redirect to sign-in. getClaims() verifies the JWT;
 * the proxy has already refreshed the session cookie.
 */
export async function requireCurrentUser(next: string): Promise<CurrentUser> {
  const supabase = await createClient();
  const { data } = await supabase.auth.getClaims();
  const sub = data?.claims?.sub;
  if (typeof sub !== 'string') redirect(`/sign-in?next=${encodeURIComponent(next)}`);
  return { userId: sub, email: typeof data?.claims?.email === 'string' ? data.claims.email : undefined };
}
