import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import { listShards } from '@/lib/exports/list-shards';
import type { ExportJob } from '@/lib/exports/types';
import { contentTypes } from '@/supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET } from '@/supabase/functions/_shared/shard-key.ts';
import { parseByteRange, sliceSegments } from './byte-range';
import { planDownload } from './download-plan';
import { streamSlices, type IntegrityProblem } from './segment-stream';

export const downloadQuery = z.object({
  partial: z
    .enum(['0', '1', 'true', 'false'], { error: 'partial must be 1 or 0' })
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
});

/** `blog_posts-2026-11-28-1a2b3c4d.csv`: collection, creation date, job id prefix; only safe characters. */
export function downloadFilename(
  job: Pick<ExportJob, 'id' | 'collection' | 'created_at' | 'format'>,
  partial: boolean,
): string {
  const collection = job.collection.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'export';
  const date = job.created_at.slice(0, 10);
  return `${collection}-${date}-${job.id.slice(0, 8)}${partial ? '-partial' : ''}.${job.format}`;
}

function statusAllowsDownload(job: ExportJob, partial: boolean): void {
  if (job.status === 'completed') return;
  if (job.status === 'cancelled' || job.status === 'failed') {
    if (partial) return;
    throw new AppError(
      'conflict',
      `This export is ${job.status}: only part of it was written. Ask for it explicitly with ?partial=1, or retry the missing part first.`,
    );
  }
  throw new AppError('conflict', `This export is still ${job.status}; download it once it has completed.`);
}

/**
 * GET /api/exports/:id/download — one file streamed from the shards, at constant memory, with an exact
 * Content-Length from the manifest, byte ranges for resumable downloads and a strong ETag (honoured
 * with If-Range) so a resumed download can never splice two versions of an export.
 */
export async function downloadExport(
  deps: { user: { supabase: TypedSupabaseClient }; admin: TypedSupabaseClient },
  jobId: string,
  request: Request,
): Promise<Response> {
  const { partial } = downloadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const job = await getExportOrThrow(deps.user.supabase, jobId);
  statusAllowsDownload(job, partial);
  const { shards } = await listShards(deps.user.supabase, job.id);
  const plan = planDownload(job, shards);

  const headers = new Headers({
    'Content-Type': contentTypes[job.format],
    'Content-Disposition': `attachment; filename="${downloadFilename(job, job.status !== 'completed')}"`,
    'Accept-Ranges': 'bytes',
    ETag: plan.etag,
    // no-transform: Next.js (and proxies) must not gzip the body, which would drop Content-Length and
    // make byte ranges refer to another representation (see README, "Downloads on hosted platforms").
    'Cache-Control': 'private, no-cache, no-transform',
    'X-Content-Type-Options': 'nosniff',
  });

  // If-Range with a stale validator: the client's partial copy is of another version — send it all.
  const ifRange = request.headers.get('if-range');
  const rangeHeader = ifRange && ifRange !== plan.etag ? null : request.headers.get('range');
  const range = parseByteRange(rangeHeader, plan.size);
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${plan.size}`);
    return Response.json(
      {
        error: { code: 'range_not_satisfiable', message: `The file is ${plan.size} bytes; that range is outside it.` },
      },
      { status: 416, headers: { 'Content-Range': `bytes */${plan.size}` } },
    );
  }
  const effective = range ?? { start: 0, end: plan.size - 1 };
  const length = plan.size === 0 ? 0 : effective.end - effective.start + 1;
  headers.set('Content-Length', String(length));
  if (range) headers.set('Content-Range', `bytes ${range.start}-${range.end}/${plan.size}`);
  const status = range ? 206 : 200;
  if (request.method === 'HEAD' || length === 0) return new Response(null, { status, headers });

  const bucket = deps.admin.storage.from(EXPORTS_BUCKET);
  const body = streamSlices(
    sliceSegments(plan.segments, effective),
    async (key, signal) => {
      const { data, error } = await bucket.download(key, {}, { signal }).asStream();
      return error ? null : (data as ReadableStream<Uint8Array>);
    },
    async (problem: IntegrityProblem) => {
      console.error(`[download] export ${job.id} shard ${problem.shardNo}: ${problem.message}`);
      const { error } = await deps.admin.rpc('record_export_shard_problem', {
        p_job_id: job.id,
        p_shard_no: problem.shardNo,
        p_problem: `download: ${problem.message}`,
      });
      if (error) console.error(`[download] could not record the problem: ${error.message}`);
    },
  );
  return new Response(body, { status, headers });
}
