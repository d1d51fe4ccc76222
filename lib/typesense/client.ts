import Typesense from 'typesense';
import { serverEnv } from '@/lib/env/server';
import { typesenseClientOptions } from '@/supabase/functions/_shared/typesense-nodes.ts';

/**
 * Typesense client for route handlers and server components; the API key never reaches the browser.
 * Every node of TYPESENSE_URL (comma-separated), with failover between them.
 */
export function createTypesenseClient() {
  const env = serverEnv();
  return new Typesense.Client(
    typesenseClientOptions(env.TYPESENSE_URL, env.TYPESENSE_API_KEY, {
      connectionTimeoutSeconds: 10,
      retriesPerNode: 2,
    }),
  );
}
