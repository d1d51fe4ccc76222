import { z } from 'zod';

/**
 * Environment the browser may see. Next.js inlines `process.env.NEXT_PUBLIC_*` only when written out
 * literally, so each variable is named here once and nowhere else.
 */
const publicEnvSchema = z.object({
  NEXT_PUBLIC_SUPABASE_URL: z.url(),
  /** `sb_publishable_…`, or the legacy anon JWT on a project that still uses legacy keys. */
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: z.string().min(1),
});

export const publicEnv = publicEnvSchema.parse({
  NEXT_PUBLIC_SUPABASE_URL: process.env.NEXT_PUBLIC_SUPABASE_URL,
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY,
});
