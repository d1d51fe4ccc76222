import { z } from 'zod';
import type { ExportJob } from '@/lib/exports/types';

const status = z.enum(['queued', 'running', 'retrying', 'completed', 'failed', 'cancelled']);

/** An unfinished export's progress, as each exports-list message carries it. */
const progressSchema = z.object({
  id: z.string(),
  status,
  shards_written: z.number(),
  rows_written: z.number(),
  bytes_written: z.number(),
  gzip_bytes_written: z.number().nullable(),
  tail_complete: z.boolean(),
  estimated_rows: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ExportListProgress = z.infer<typeof progressSchema>;

/** A whole job row (the one whose state changed); the fields the cache relies on are checked. */
const jobSchema = z
  .object({ id: z.string(), organisation_id: z.string(), status, created_at: z.string(), updated_at: z.string() })
  .passthrough()
  .transform((row) => row as unknown as ExportJob);

/**
 * One message on an organisation's list topic `org:<id>:exports` (migration
 * 20261208000100_list_feed_within_realtime_quota.sql): event `change` at once when a job is created or its
 * state changes (with that `job`), event `progress` at most once a second when only progress moved. Both
 * carry every unfinished job's progress (`jobs`, newest 100; `truncated` when there are more) as of `at`.
 * Parsed, not trusted: a payload of another shape makes the list read afresh.
 */
export const exportListMessageSchema = z.object({
  at: z.string(),
  job: jobSchema.optional(),
  jobs: z.array(progressSchema),
  truncated: z.boolean(),
});
export type ExportListMessage = z.infer<typeof exportListMessageSchema>;
