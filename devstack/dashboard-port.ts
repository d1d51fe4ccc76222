import { z } from 'zod';

/** `next dev`'s default, and the one the README and the Supabase config (`site_url`) name. */
export const DEFAULT_DASHBOARD_PORT = 3000;

const dashboardPortSchema = z.object({
  PORT: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce
      .number({ error: 'PORT must be a port number, e.g. PORT=3001' })
      .int({ error: 'PORT must be a whole port number, e.g. PORT=3001' })
      .min(1, { error: 'PORT must be from 1 to 65535, e.g. PORT=3001' })
      .max(65535, { error: 'PORT must be from 1 to 65535, e.g. PORT=3001' })
      .default(DEFAULT_DASHBOARD_PORT),
  ),
});

/**
 * The port `npm run dev` serves the dashboard on: `PORT`, else 3000. A bad value stops the start with a
 * sentence, rather than `next dev` failing on it after the devstack has started.
 */
export function dashboardPort(env: Record<string, string | undefined>): number {
  const parsed = dashboardPortSchema.safeParse(env);
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'PORT is not a port number');
  return parsed.data.PORT;
}
