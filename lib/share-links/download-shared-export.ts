import { z } from 'zod';
import { downloadForms } from '@/lib/download/download-form';
import { serveExportDownload } from '@/lib/download/download-export';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { resolveShareLink, type ResolvedShareLink } from './resolve-share-link';
import { SHARE_LINK_RATE, takeShareLinkRequest } from './take-share-link-request';

export const sharedDownloadQuery = z
  .object({
    form: z.enum(downloadForms, { error: 'form must be plain (the default), excel or gzip' }).default('plain'),
  })
  .strict();

/**
 * GET/HEAD /api/shared/:token/download[?form=…]: the link's export's file, through the same core as the
 * dashboard (exact size, ranges, ETag, resume, every shard verified before it is sent, the download
 * recorded under the link). A dead link is a 404 before anything else; a live one counts the request
 * against its rate limit. The file is what the export has: the whole file, or a cancelled or failed
 * export's part (its name says "partial").
 */
export async function downloadSharedExport(
  admin: TypedSupabaseClient,
  token: string,
  request: Request,
  rate = SHARE_LINK_RATE,
): Promise<Response> {
  const shared: ResolvedShareLink = await resolveShareLink(admin, token);
  await takeShareLinkRequest(admin, shared.link.id, rate);
  const { form } = sharedDownloadQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  return serveExportDownload(
    {
      reader: admin,
      admin,
      downloader: { kind: 'share_link', linkId: shared.link.id, note: shared.link.note },
      forms: shared.link.forms,
    },
    shared.job.id,
    request,
    { form, partial: shared.partial },
  );
}
