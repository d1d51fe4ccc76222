import { AppError } from '@/lib/api/app-error';
import { downloadAvailability, type DownloadForm } from '@/lib/download/download-form';
import type { ExportJob } from '@/lib/exports/types';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { hashShareLinkToken, sameTokenHash } from './share-link-token';

/**
 * The one answer for every link that does not work: unknown, guessed, revoked, expired, or an export
 * with no file to give. Same status, same body, so a caller learns nothing about which it was.
 */
export function deadLinkError(): AppError {
  return new AppError(
    'not_found',
    'This link does not exist or no longer works. Ask the person who sent it for a new one.',
  );
}

/** What a working link gives access to, and nothing more. */
export type ResolvedShareLink = {
  link: { id: string; forms: DownloadForm[]; note: string | null; expiresAt: string };
  job: ExportJob;
  partial: boolean;
};

/** A token is base64url; anything longer than a few hundred characters is not one (the hash costs the same). */
const MAX_TOKEN_LENGTH = 256;

/**
 * The live link behind a token and its export, through the service role (the visitor has no session).
 * Unknown, revoked and expired links are one indexed lookup by hash that finds no row (the database's
 * clock decides expiry); the stored hash is compared again in constant time. The export must have a
 * file now (`downloadAvailability`, the dashboard's own rule): any status that serves no file, a later
 * one included, stops every link at once. Every failure is `deadLinkError()`.
 */
export async function resolveShareLink(admin: TypedSupabaseClient, token: string): Promise<ResolvedShareLink> {
  const presented = hashShareLinkToken(token.slice(0, MAX_TOKEN_LENGTH));
  const { data, error } = await admin.rpc('resolve_export_share_link', { p_token_sha256: presented }).maybeSingle();
  if (error) throw new Error(`Resolving a share link failed: ${error.message}`);
  if (!data || !sameTokenHash(data.token_sha256, presented)) throw deadLinkError();
  const job = await admin.from('export_jobs').select('*').eq('id', data.job_id).maybeSingle<ExportJob>();
  if (job.error) throw new Error(`Reading the export of share link ${data.id} failed: ${job.error.message}`);
  if (!job.data) throw deadLinkError();
  const { available, partial } = downloadAvailability(job.data);
  if (!available) throw deadLinkError();
  return {
    link: { id: data.id, forms: data.forms as DownloadForm[], note: data.note, expiresAt: data.expires_at },
    job: job.data,
    partial,
  };
}
