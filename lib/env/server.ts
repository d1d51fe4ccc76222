import 'server-only';
import { z } from 'zod';

/** Server-only secrets and service URLs; validated on first use so a missing variable names itself. */
const serverEnvSchema = z.object({
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1),
  TYPESENSE_URL: z.url(),
  TYPESENSE_API_KEY: z.string().min(1),
});

export type ServerEnv = z.infer<typeof serverEnvSchema>;

let cached: ServerEnv | undefined;

export function serverEnv(): ServerEnv {
  if (!cached) {
    const parsed = serverEnvSchema.safeParse(process.env);
    if (!parsed.success) throw new Error(`Invalid server environment: ${z.prettifyError(parsed.error)}`);
    cached = parsed.data;
  }
  return cached;
}
