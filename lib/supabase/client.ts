import { createBrowserClient } from '@supabase/ssr';
import { publicEnv } from '@/lib/env/public';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';

/** Supabase client for client components: the session lives in cookies shared with the server. */
export function createClient() {
  return createBrowserClient<Database>(
    publicEnv.NEXT_PUBLIC_SUPABASE_URL,
    publicEnv.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
  );
}
