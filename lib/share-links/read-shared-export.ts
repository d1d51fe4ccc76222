import { formSize, type DownloadForm } from '@/lib/download/download-form';
import type { ExportFormat } from '@/lib/exports/types';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { resolveShareLink } from './resolve-share-link';
import { SHARE_LINK_RATE, takeShareLinkRequest } from './take-share-link-request';

/**
 * Everything the link's public page shows, and nothing else of the organisation: the export's name and
 * format, whether the file is partial, when the link stops, and each offered form with its exact size
 * and its download address. No ids, no people, no collection or filter.
 */
export type SharedExport = {
  name: string;
  format: ExportFormat;
  partial: boolean;
  expiresAt: string;
  forms: Array<{ form: DownloadForm; size: number | null; href: string }>;
};

export function sharedDownloadHref(token: string, form: DownloadForm): string {
  const query = form === 'plain' ? '' : `?form=${form}`;
  return `/api/shared/${encodeURIComponent(token)}/download${query}`;
}

/** The page's data; a dead link throws deadLinkError (404), a busy one 429, like its downloads. */
export async function readSharedExport(
  admin: TypedSupabaseClient,
  token: string,
  rate = SHARE_LINK_RATE,
): Promise<SharedExport> {
  const { link, job, partial } = await resolveShareLink(admin, token);
  await takeShareLinkRequest(admin, link.id, rate);
  return {
    name: job.name,
    format: job.format,
    partial,
    expiresAt: link.expiresAt,
    forms: link.forms.map((form) => ({ form, size: formSize(job, form), href: sharedDownloadHref(token, form) })),
  };
}
