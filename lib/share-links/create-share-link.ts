import { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { rpcError } from '@/lib/api/rpc-error';
import { withoutNul } from '@/lib/api/text-without-nul';
import { downloadAvailability, downloadForms, formsOffered } from '@/lib/download/download-form';
import { getOperableExportOrThrow } from '@/lib/exports/get-operable-export-or-throw';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { createShareLinkToken } from './share-link-token';
import { SHARE_LINK_COLUMNS, shareLinkPath, type ShareLink } from './types';

export const SHARE_LINK_MIN_HOURS = 1;
export const SHARE_LINK_MAX_HOURS = 7 * 24;
export const SHARE_LINK_DEFAULT_HOURS = 24;

export const createShareLinkInput = z
  .object({
    expiresInHours: z
      .number({ error: 'expiresInHours must be a whole number of hours' })
      .int({ error: 'expiresInHours must be a whole number of hours' })
      .min(SHARE_LINK_MIN_HOURS, { error: 'A share link lives at least 1 hour.' })
      .max(SHARE_LINK_MAX_HOURS, { error: 'A share link lives at most 7 days (168 hours).' })
      .default(SHARE_LINK_DEFAULT_HOURS),
    forms: z
      .array(z.enum(downloadForms, { error: 'each form must be plain, excel or gzip' }))
      .min(1, { error: 'Offer at least one form of the file.' })
      .transform((forms) => [...new Set(forms)])
      .optional(),
    note: withoutNul(
      z.string({ error: 'note must be text' }).trim().max(500, { error: 'A note may be at most 500 characters.' }),
      'The note',
    ).optional(),
  })
  .strict();

/**
 * Shares one export's file: a member (support, admin) of its organisation makes a link that lives
 * 1 hour to 7 days and offers the chosen forms (by default every form the export has). Only a file that
 * can be downloaded now can be shared. The token is made here and returned once; the database keeps
 * its hash. Through the caller's client: `create_export_share_link` checks their role again and records
 * them as the creator.
 */
export async function createShareLink(
  deps: { user: { supabase: TypedSupabaseClient } },
  jobId: string,
  input: z.infer<typeof createShareLinkInput>,
): Promise<{ link: ShareLink; token: string; path: string }> {
  const job = await getOperableExportOrThrow(deps.user.supabase, jobId);
  if (!downloadAvailability(job).available) {
    throw new AppError(
      'conflict',
      `This export is ${job.status} and has no file to share yet; share it once it has completed.`,
    );
  }
  const offered = formsOffered(job);
  const forms = input.forms ?? offered;
  const missing = forms.filter((form) => !offered.includes(form));
  if (missing.length > 0) {
    throw new AppError(
      'unprocessable',
      `This export has no ${missing.join(' or ')} form; it offers ${offered.join(', ')}.`,
      { field: 'forms' },
    );
  }
  const { token, sha256 } = createShareLinkToken();
  const created = await deps.user.supabase.rpc('create_export_share_link', {
    p_job_id: jobId,
    p_token_sha256: sha256,
    p_lifetime_seconds: input.expiresInHours * 3600,
    p_forms: forms,
    p_note: input.note ?? '',
  });
  if (created.error) throw rpcError(created.error, `Sharing export ${jobId}`);
  const { data, error } = await deps.user.supabase
    .from('export_share_links')
    .select(SHARE_LINK_COLUMNS)
    .eq('id', created.data)
    .single<ShareLink>();
  if (error) throw new Error(`Reading share link ${created.data} failed: ${error.message}`);
  return { link: data, token, path: shareLinkPath(token) };
}
