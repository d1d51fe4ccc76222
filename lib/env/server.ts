import { z } from 'zod';
import { isTypesenseNodeList } from '@/supabase/functions/_shared/typesense-nodes.ts';

/** Server-only secrets and service URLs; validated on first use so a missing variable names itself. */
const serverEnvSchema = z.object({
  /** `sb_secret_…`, or the legacy service-role JWT on a project that still uses legacy keys. */
  SUPABASE_SECRET_KEY: z.string().min(1),
  /** One Typesense node's URL, or a cluster's nodes, comma-separated. */
  TYPESENSE_URL: z.string().refine(isTypesenseNodeList, 'one or more http(s) URLs, comma-separated'),
  /** Reads collection schemas (`collections:get` on the sources' collections). */
  TYPESENSE_API_KEY: z.string().min(1),
  /** Allowed only `documents:search`: the parent of the scoped key every search of a source runs under. */
  TYPESENSE_SEARCH_KEY: z.string().min(1),
  /** The devstack's exception to the webhook SSRF rule: endpoints over http and on loopback. Never in production. */
  BATON_WEBHOOK_ALLOW_LOOPBACK: z
    .enum(['true', 'false', ''])
    .optional()
    .transform((value) => value === 'true'),
});

export type ServerEnv = z.infer<typeof serverEnvSchema>;

let cached: ServerEnv | undefined;

export function serverEnv(): ServerEnv {
  // Not `import 'server-only'`: the download is a Pages API route (see pages/api/exports/[id]/download.ts),
  // where that package throws at import. This runtime guard keeps secrets out of browser code instead.
  if (typeof window !== 'undefined') throw new Error('Server-only code ran in the browser');
  if (!cached) {
    const parsed = serverEnvSchema.safeParse(process.env);
    if (!parsed.success) throw new Error(`Invalid server environment: ${z.prettifyError(parsed.error)}`);
    cached = parsed.data;
  }
  return cached;
}
