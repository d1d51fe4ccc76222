import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { withoutNul } from '@/lib/api/text-without-nul';
import { rpcError } from '@/lib/api/rpc-error';
import { countMatching } from '@/lib/sources/count-matching';
import { getSourceOrThrow } from '@/lib/sources/get-source-or-throw';
import { MAX_LANES } from '@/lib/sources/lane-count';
import { planLanes } from '@/lib/sources/plan-lanes';
import { getSourceSchema } from '@/lib/sources/source-schema';
import type { ExportSource } from '@/lib/sources/types';
import type { TypesenseAccess } from '@/lib/typesense/client';
import { MAX_USER_FILTER_LENGTH } from '@/supabase/functions/_shared/export-filter.ts';
import { kickExportLanes } from './kick-export-worker';
import { assertExportOperator } from './assert-export-operator';
import type { ExportJob } from './types';

export const startExportInput = z
  .object({
    sourceId: z.uuid({ error: 'sourceId must be the UUID of one of your sources' }),
    format: z.enum(['csv', 'ndjson'], { error: 'format must be "csv" or "ndjson"' }),
    /** Columns, in order. Default: every schema field in schema order. */
    fields: z
      .array(withoutNul(z.string().min(1).max(128), 'A field name'))
      .min(1)
      .max(500)
      .optional(),
    filter: withoutNul(z.string().max(MAX_USER_FILTER_LENGTH), 'The filter')
      .optional()
      .nullable()
      .transform((f) => (f?.trim() ? f.trim() : null)),
    neutraliseFormulas: z.boolean().default(true),
    /** Lanes that run in parallel. Default: one per ~25,000 records, at most 8. */
    lanes: z
      .number({ error: `lanes must be a whole number from 1 to ${MAX_LANES}` })
      .int({ error: `lanes must be a whole number from 1 to ${MAX_LANES}` })
      .min(1, { error: `lanes must be at least 1` })
      .max(MAX_LANES, { error: `lanes can be at most ${MAX_LANES}` })
      .optional(),
  })
  .strict();

export type StartExportInput = z.input<typeof startExportInput>;

/** Typesense serves at most 250 hits a page: one page is one shard. */
const PAGE_SIZE = 250;

export type StartExportDeps = {
  user: { supabase: TypedSupabaseClient; userId: string };
  admin: TypedSupabaseClient;
  typesense: TypesenseAccess;
};

/**
 * Validates and records a new export, then starts a worker for each of its lanes. Everything the worker
 * will need is fixed here (collection, key, mandatory filter, columns, lane bounds), so every shard of
 * the job has the same shape. Answers as soon as the job is queued: if a kick fails, the sweep starts
 * that lane instead.
 */
export async function startExport(deps: StartExportDeps, rawInput: StartExportInput): Promise<ExportJob> {
  const input = startExportInput.parse(rawInput);
  const source = await getSourceOrThrow(deps.user.supabase, input.sourceId);
  // Viewers see and download only; the job insert is checked again by the database (requested_by's role).
  await assertExportOperator(deps.user.supabase, source.organisation_id);
  return createExportJob(deps, source, input, { requested_by: deps.user.userId });
}

/**
 * Who a job is started for: a person (whose role the database checks again on insert) or an API token
 * of the source's organisation (its scope was checked by the API).
 */
export type ExportRequester = { requested_by: string } | { api_token_id: string };

/**
 * The part of starting an export after the caller was authorised for `source`: checks the fields against
 * the collection, plans the lanes, inserts the job and kicks its lanes.
 */
export async function createExportJob(
  deps: Pick<StartExportDeps, 'admin' | 'typesense'>,
  source: ExportSource,
  input: z.output<typeof startExportInput>,
  requester: ExportRequester,
): Promise<ExportJob> {
  const schema = await getSourceSchema(deps.typesense, source);

  const known = new Set(schema.fields.map((f) => f.name));
  const fields = input.fields ?? schema.fields.map((f) => f.name);
  const unknown = fields.filter((f) => !known.has(f));
  if (unknown.length > 0) {
    throw new AppError(
      'unprocessable',
      `Unknown field${unknown.length > 1 ? 's' : ''} for ${source.collection}: ${unknown.join(', ')}.`,
      {
        field: 'fields',
        unknown,
      },
    );
  }
  if (new Set(fields).size !== fields.length) {
    throw new AppError('unprocessable', 'Each field may appear only once.', { field: 'fields' });
  }

  const estimatedRows = await countMatching(deps.typesense, source, input.filter);
  const laneBounds = await planLanes(deps.typesense, source, input.filter, {
    total: estimatedRows,
    pageSize: PAGE_SIZE,
    requestedLanes: input.lanes,
  });

  const { data: job, error } = await deps.admin
    .from('export_jobs')
    .insert({
      organisation_id: source.organisation_id,
      source_id: source.id,
      ...requester,
      collection: source.collection,
      key_field: source.key_field,
      mandatory_filter: source.mandatory_filter,
      filter: input.filter,
      fields,
      format: input.format,
      neutralise_formulas: input.neutraliseFormulas,
      estimated_rows: estimatedRows,
      page_size: PAGE_SIZE,
      // int64 keys as decimal strings (JSON numbers round beyond 2^53); Postgres reads them into bigint[].
      lane_bounds: laneBounds.map(String) as unknown as number[],
    })
    .select('*')
    .single<ExportJob>();
  if (error) throw rpcError(error, 'Creating the export');

  // Above the organisation's approval threshold the job waits for an admin, who starts it by approving.
  if (job.approval === 'pending') return job;
  await kickExportLanes(
    deps.admin,
    job.id,
    job.lanes.map((lane) => lane.lane),
  );
  return job;
}
