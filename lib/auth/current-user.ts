import 'server-only';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { createClient } from '@/lib/supabase/server';
import { readSession } from './read-session';

export type CurrentUser = { userId: string; email: string | undefined };

/**
 * The request's session, read once: the dashboard layout, the export segment's layout and the page each
 * ask for the user, and each would otherwise verify the same token again.
 */
const readRequestSession = cache(async () => readSession(await createClient()));

/**
 * The signed-in user of a dashboard page, or a redirect to sign-in. The proxy has already refreshed the
 * session cookie, and cleared it if its token does not verify.
 */
export async function requireCurrentUser(next: string): Promise<CurrentUser> {
  const session = await readRequestSession();
  if (session.status !== 'valid') redirect(`/sign-in?next=${encodeURIComponent(next)}`);
  return { userId: session.userId, email: session.email ?? undefined };
}
