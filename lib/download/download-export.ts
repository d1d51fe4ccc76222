import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { getExportOrThrow } from '@/lib/exports/get-export-or-throw';
import { recordExportDownload } from '@/lib/exports/record-export-download';
import type { ExportJob } from '@/lib/exports/types';
import { assertFilesKept } from '@/lib/retention/assert-files-kept';
import { decideRange } from '@/lib/http/byte-range';
import { contentTypes } from '@/supabase/functions/_shared/export-format.ts';
import { EXPORTS_BUCKET } from '@/supabase/functions/_shared/shard-key.ts';
import { downloadForms, formExtension, formFilenameSuffix, formsFor, type DownloadForm } from './download-form';
import { planDownload } from './download-plan';
import { readFileManifest } from './read-file-manifest';
import {
  readVerifiedShard,
  ShardIntegrityError,
  StorageReadError,
  type IntegrityProblem,
  type OpenObject,
} from './read-verified-shard';
import { openSegmentStream, shardsOf } from './segment-stream';
import { retryStorageReads } from './retry-storage-reads';
import { ShardReadAhead } from './shard-read-ahead';
import { auditedBody, type BodyEnd } from './audited-body';
import type { Downloader } from './downloader';
import { sliceSegments } from './slice-segments';

export const downloadQuery = z.object({
  partial: z
    .enum(['0', '1', 'true', 'false'], { error: 'partial must be 1 or 0' })
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  form: z
    .enum(downloadForms, {
      error:
        'form must be plain (the default), excel (CSV with a UTF-8 byte-order mark, for Excel) or gzip (the file compressed, .gz)',
    })
    .default('plain'),
});

/** `blog_posts-2026-11-28-1a2b3c4d.csv`: collection, creation date, job id prefix; only safe characters. */
function downloadFilename(
  job: Pick<ExportJob, 'id' | 'collection' | 'created_at' | 'format'>,
  options: { partial: boolean; form: DownloadForm },
): string {
  const collection = job.collection.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'export';
  const date = job.created_at.slice(0, 10);
  const partial = options.partial ? '-partial' : '';
  return `${collection}-${date}-${job.id.slice(0, 8)}${partial}${formFilenameSuffix(options.form)}.${formExtension(job.format, options.form)}`;
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

/** storage-js reports Storage's "not found" as HTTP 400 with the real status in the body (docs/protocols.md §3.2). */
function storageObjects(admin: TypedSupabaseClient): OpenObject {
  const bucket = admin.storage.from(EXPORTS_BUCKET);
  return async (key, signal) => {
    const { data, error } = await bucket.download(key, {}, { signal }).asStream();
    if (!error) return data as ReadableStream<Uint8Array>;
    if ((error as { statusCode?: string }).statusCode === '404') return 'missing';
    throw error;
  };
}

/**
 * Puts what the download found on the shard's manifest row, where support's views show it and where
 * "Retry missing" finds it (a same-size corruption passes the retry's size check; this record does not).
 */
async function recordProblem(admin: TypedSupabaseClient, jobId: string, problem: IntegrityProblem): Promise<void> {
  console.error(`[download] export ${jobId} shard ${problem.shardNo}: ${problem.message}`);
  const { error } = await admin.rpc('record_export_shard_problem', {
    p_job_id: jobId,
    p_shard_no: problem.shardNo,
    p_attempt: problem.attempt,
    p_kind: problem.kind,
    p_problem: `download: ${problem.message}`,
  });
  if (error) console.error(`[download] could not record the problem: ${error.message}`);
}

/** What the client is told when the first shard it asked for cannot be sent (anything else is a bug: 500). */
function firstShardError(error: unknown): unknown {
  if (error instanceof ShardIntegrityError) {
    return new AppError(
      'upstream_damaged',
      `Nothing was sent: shard ${error.problem.shardNo} of this export failed verification (${error.problem.message}). ` +
        'The problem is recorded on the export: "Verify & repair" (or "Retry missing") on its page re-runs that shard; ' +
        'download again once the export has completed.',
      { shardNo: error.problem.shardNo, problem: error.problem.kind },
    );
  }
  if (error instanceof StorageReadError) {
    console.error(`[download] ${error.message}`);
    return new AppError(
      'upstream_unavailable',
      'Storage did not deliver the export’s first shard; try again in a moment.',
    );
  }
  return error;
}

/**
 * Who downloads, and through what they read: the caller's own client for a signed-in user (RLS decides
 * what they may see), or the service role once a share link (later an API token) has been checked for
 * exactly this export. `forms` narrows the forms offered (a link offers the ones it was made with).
 */
export type DownloadAccess = {
  reader: TypedSupabaseClient;
  admin: TypedSupabaseClient;
  downloader: Downloader;
  forms?: readonly DownloadForm[];
};

/**
 * GET/HEAD /api/exports/:id/download[?form=plain|excel|gzip][&partial=1], for the signed-in user:
 * `serveExportDownload` with the query parsed and the user as the downloader.
 */
export async function downloadExport(
  deps: { user: { supabase: TypedSupabaseClient; userId: string }; admin: TypedSupabaseClient },
  jobId: string,
  request: Request,
): Promise<Response> {
  const options = downloadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  return serveExportDownload(
    { reader: deps.user.supabase, admin: deps.admin, downloader: { kind: 'user', userId: deps.user.userId } },
    jobId,
    request,
    options,
  );
}

/**
 * One export's file in one form, to whoever `access` says: an exact Content-Length from the manifest,
 * byte ranges for resumable downloads and a strong ETag (honoured with If-Range) that covers every
 * shard's identity, so a resumed download never splices two versions. No byte of a shard is sent before
 * the shard is verified (design invariant 9); a few shards are read ahead so the download keeps up with
 * storage, memory staying a few shards whatever the file's size. HEAD answers from the manifest alone.
 * Every GET that sends bytes is recorded when its response ends (recordExportDownload): range, bytes
 * sent, completed or cut.
 */
export async function serveExportDownload(
  access: DownloadAccess,
  jobId: string,
  request: Request,
  { partial, form }: { partial: boolean; form: DownloadForm },
): Promise<Response> {
  // The manifest is read alongside the job only to save a round trip before the first byte; through a
  // user's client, the manifest of a job they may not see reads empty.
  const [job, shards] = await Promise.all([
    getExportOrThrow(access.reader, jobId),
    readFileManifest(access.reader, jobId),
  ]);
  assertFilesKept(job);
  statusAllowsDownload(job, partial);
  if (!formsFor(job.format).includes(form)) {
    throw new AppError('unprocessable', `The ${form} form is for CSV exports; this export is ${job.format}.`, {
      field: 'form',
    });
  }
  if (access.forms && !access.forms.includes(form)) {
    throw new AppError('unprocessable', `This link offers the ${access.forms.join(', ')} form only.`, {
      field: 'form',
    });
  }
  const plan = planDownload(job, shards, form);

  const headers = new Headers({
    // The gzip form is a .gz file (not Content-Encoding: that would make length and ranges refer to the
    // plain bytes); the browser saves it as it is.
    'Content-Type': form === 'gzip' ? 'application/gzip' : contentTypes[job.format],
    'Content-Disposition': `attachment; filename="${downloadFilename(job, { partial: job.status !== 'completed', form })}"`,
    'Accept-Ranges': 'bytes',
    ETag: plan.etag,
    // no-transform: Next.js (and proxies) must not gzip the body, which would drop Content-Length and
    // make byte ranges refer to another representation (see README, "Downloads on hosted platforms").
    'Cache-Control': 'private, no-cache, no-transform',
    'X-Content-Type-Options': 'nosniff',
  });

  // If-Range with another validator (a strong comparison): the client's partial copy is of another
  // version of the file — send all of this one.
  const ifRange = request.headers.get('if-range');
  const range = decideRange(ifRange && ifRange !== plan.etag ? null : request.headers.get('range'), plan.size);
  if (range === 'unsatisfiable') {
    return Response.json(
      {
        error: { code: 'range_not_satisfiable', message: `The file is ${plan.size} bytes; that range is outside it.` },
      },
      { status: 416, headers: { 'Content-Range': `bytes */${plan.size}` } },
    );
  }
  const served = range === 'ignore' ? { start: 0, end: plan.size - 1 } : range;
  const length = served.end - served.start + 1;
  headers.set('Content-Length', String(length));
  if (range !== 'ignore') headers.set('Content-Range', `bytes ${range.start}-${range.end}/${plan.size}`);
  const status = range === 'ignore' ? 200 : 206;
  const record = (end: BodyEnd) =>
    recordExportDownload(access.admin, {
      jobId: job.id,
      downloader: access.downloader,
      form,
      partial: job.status !== 'completed',
      range: range === 'ignore' ? null : [range.start, range.end],
      size: plan.size,
      ...end,
    });
  if (request.method === 'HEAD') return new Response(null, { status, headers });
  if (length === 0) {
    await record({ bytes: 0, outcome: 'completed' });
    return new Response(null, { status, headers });
  }

  const slices = sliceSegments(plan.segments, served);
  const openObject = storageObjects(access.admin);
  const log = (message: string) => console.error(`[download] export ${job.id}: ${message}`);
  const reads = new ShardReadAhead(
    shardsOf(slices),
    retryStorageReads((object, signal) => readVerifiedShard(object, openObject, signal), log),
  );
  let body: ReadableStream<Uint8Array>;
  try {
    body = await openSegmentStream(
      slices,
      reads,
      (problem) => recordProblem(access.admin, job.id, problem),
      (error) =>
        log(
          `response cut short (the client can resume with Range): ${error instanceof Error ? error.message : String(error)}`,
        ),
    );
  } catch (error) {
    throw firstShardError(error);
  }
  return new Response(auditedBody(body, record), { status, headers });
}
