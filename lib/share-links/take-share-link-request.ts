import { AppError } from '@/lib/api/app-error';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';

/**
 * Requests a link may take per window, page views and downloads alike. 60 a minute lets a person open
 * the page and fetch every form many times over, and a download manager resume in many ranges; a
 * script hammering a leaked link gets 429s. Counted in Postgres, so it holds across app instances.
 */
export const SHARE_LINK_RATE = { requests: 60, windowSeconds: 60 };

/** Counts one request through the link; 429 with Retry-After past the limit. */
export async function takeShareLinkRequest(
  admin: TypedSupabaseClient,
  linkId: string,
  rate: { requests: number; windowSeconds: number } = SHARE_LINK_RATE,
): Promise<void> {
  const { data, error } = await admin.rpc('take_share_link_request', {
    p_link_id: linkId,
    p_limit: rate.requests,
    p_window_seconds: rate.windowSeconds,
  });
  if (error) throw new Error(`Counting a request through share link ${linkId} failed: ${error.message}`);
  if (data > 0) {
    throw new AppError(
      'too_many_requests',
      `This link has had too many requests in a short time; try again in ${data} second${data === 1 ? '' : 's'}.`,
      { retryAfterSeconds: data },
    );
  }
}
