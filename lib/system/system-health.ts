import { z } from 'zod';

/** Failed attempts of one error kind in the last hour (the kind is null when the worker gave none). */
const errorKind = z.object({ kind: z.string().nullable(), count: z.number() });

/** One export behind the errors of the last hour. */
const exportWithErrors = z.object({ id: z.string(), name: z.string(), count: z.number() });

/** The figures of one organisation the caller is support or admin in. */
const organisationHealth = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['support', 'admin']),
  running_lanes: z.number(),
  queued_lanes: z.number(),
  retrying_lanes: z.number(),
  exports: z.object({ queued: z.number(), running: z.number(), retrying: z.number(), stored: z.number() }),
  invocations_last_minute: z.number(),
  declined_last_minute: z.number(),
  errors_last_hour: z.number(),
  errors_by_kind: z.array(errorKind),
  exports_with_errors: z.array(exportWithErrors),
  storage_bytes: z.number(),
});

/** What `public.system_health()` answers (migration 20261211003100_system_health.sql). */
export const systemHealthSchema = z.object({
  generated_at: z.string(),
  caps: z.object({ max_running_lanes: z.number(), max_running_lanes_per_org: z.number() }),
  sweep: z.object({
    last_run_at: z.string().nullable(),
    interval_seconds: z.number().nullable(),
    /** pg_cron's schedule, hosted; null where the sweep runs on a timer (the devstack). */
    schedule: z.string().nullable(),
  }),
  /** Database-wide: deadlocks Postgres detected since `since` (at most an hour ago); null: not known yet. */
  deadlocks: z.object({ count: z.number().nullable(), since: z.string().nullable() }),
  organisations: z.array(organisationHealth),
});

export type SystemHealth = z.infer<typeof systemHealthSchema>;
export type OrganisationHealth = z.infer<typeof organisationHealth>;
