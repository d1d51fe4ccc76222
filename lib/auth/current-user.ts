import 'server-only';
import { redirect } from 'next/navigation';
import { createClient } from '@/lib/supabase/server';
import { readSession } from './read-session';

export type CurrentUser = { userId: string; email: string | undefined };

/**
 * The signed-in user of a dashboard page, or a redirect to sign-in. The proxy has already refreshed the
 * session cookie, and cleared it if its token does not verify.
 */
export async function requireCurrentUser(next: string): Promise<CurrentUser> {
  const session = await readSession(await createClient());
  if (session.status !== 'valid') redirect(`/sign-in?next=${encodeURIComponent(next)}`);
  return { userId: session.userId, email: session.email ?? undefined };
}
