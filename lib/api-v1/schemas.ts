import { z } from 'zod';
import { downloadQuery } from '@/lib/download/download-export';
import type { ExportJob } from '@/lib/exports/types';
import { retryExportInput } from '@/lib/exports/retry-export';
import { startExportInput } from '@/lib/exports/start-export';

/**
 * The REST API v1's shapes, one zod schema each: the routes validate with them and the OpenAPI document
 * (openapi-document.ts) is generated from them, so the two cannot drift. Request bodies are the
 * dashboard's own schemas; responses are a stable public view of the job row, not the row itself.
 */

export const createExportBody = startExportInput.meta({ id: 'CreateExport' });
export const retryExportBody = retryExportInput.meta({ id: 'RetryExport' });
export const downloadParams = downloadQuery.meta({ id: 'DownloadQuery' });

export const exportIdParams = z.object({ id: z.uuid({ error: 'The export id in the path must be a UUID.' }) });

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255, { error: 'Idempotency-Key can be at most 255 characters.' })
    .optional()
    .meta({
      description:
        'Any unique string (a UUID is a good choice). Sending the same key with the same body again within 24 hours ' +
        'answers the export the first request created; the same key with a different body is a 409.',
    }),
});

const exportStatus = z.enum(['queued', 'running', 'retrying', 'completed', 'failed', 'cancelled']);

export const exportResource = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: exportStatus,
    cancelRequested: z.boolean(),
    format: z.enum(['csv', 'ndjson']),
    sourceId: z.uuid(),
    collection: z.string(),
    filter: z.string().nullable(),
    fields: z.array(z.string()),
    estimatedRows: z.number().int(),
    rowsWritten: z.number().int(),
    shardsWritten: z.number().int(),
    bytesWritten: z.number().int(),
    run: z.number().int().meta({ description: '1, then one more for every retry.' }),
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    startedAt: z.iso.datetime({ offset: true }).nullable(),
    finishedAt: z.iso.datetime({ offset: true }).nullable(),
    links: z.object({ self: z.string(), download: z.string(), events: z.string() }),
  })
  .meta({ id: 'Export' });
export type ExportResource = z.infer<typeof exportResource>;

export function toExportResource(job: ExportJob): ExportResource {
  const self = `/api/v1/exports/${job.id}`;
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    cancelRequested: job.cancel_requested_at !== null,
    format: job.format,
    sourceId: job.source_id,
    collection: job.collection,
    filter: job.filter,
    fields: job.fields,
    estimatedRows: job.estimated_rows,
    rowsWritten: job.rows_written,
    shardsWritten: job.shards_written,
    bytesWritten: job.bytes_written,
    run: job.run_no,
    lastError: job.last_error,
    createdAt: job.created_at,
    startedAt: job.started_at,
    finishedAt: job.finished_at,
    links: { self, download: `${self}/download`, events: `${self}/events` },
  };
}

const LIMIT_ERROR = 'limit must be a whole number from 1 to 200, in decimal digits (e.g. limit=50)';

export const listExportsParams = z
  .object({
    limit: z
      .string()
      .regex(/^[1-9][0-9]{0,2}$/, { error: LIMIT_ERROR, abort: true })
      .transform(Number)
      .pipe(z.number().max(200, { error: LIMIT_ERROR }))
      .default(50),
    cursor: z
      .string()
      .max(200)
      .optional()
      .meta({ description: 'The `nextCursor` of the previous page; leave out for the first page.' }),
    status: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const parsed = z.array(exportStatus).safeParse(value.split(','));
        if (parsed.success) return parsed.data;
        ctx.addIssue({
          code: 'custom',
          message: `status must be one or more of ${exportStatus.options.join(', ')}, separated by commas (e.g. status=failed,cancelled)`,
        });
        return z.NEVER;
      })
      .meta({ description: 'Only exports in these states, comma separated (e.g. `failed,cancelled`).' }),
    createdAfter: z.iso
      .datetime({ offset: true, error: 'createdAfter must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z' })
      .optional(),
    createdBefore: z.iso
      .datetime({ offset: true, error: 'createdBefore must be an ISO 8601 time, e.g. 2026-12-31T23:59:59Z' })
      .optional(),
  })
  .strict();

export const exportPage = z
  .object({
    data: z.array(exportResource),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .meta({ id: 'ExportPage' });

export const retryResult = z
  .object({
    plan: z.object({
      shards: z.array(z.object({ shardNo: z.number().int(), rows: z.number().int(), reason: z.string() })),
      rows: z.number().int(),
      tail: z.boolean(),
      tailRowsEstimate: z.number().int(),
    }),
    export: exportResource,
  })
  .meta({ id: 'RetryResult' });

export const exportEvent = z
  .object({
    id: z.number().int(),
    kind: z.enum(['cancel_requested', 'rerun_requested', 'completed', 'failed', 'cancelled', 'renamed', 'downloaded']),
    run: z.number().int(),
    at: z.iso.datetime({ offset: true }),
    byPerson: z.boolean().meta({ description: 'Whether a person (not a token or the system) did it.' }),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ExportEvent' });

export const exportEventList = z.object({ data: z.array(exportEvent) }).meta({ id: 'ExportEventList' });
