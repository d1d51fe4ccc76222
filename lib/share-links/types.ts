import type { DownloadForm } from '@/lib/download/download-form';

/** A share link as its organisation sees it (export_share_links, without the token's hash). */
export type ShareLink = {
  id: string;
  job_id: string;
  forms: DownloadForm[];
  note: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
};

/** The columns the dashboard shows (the token's hash is elsewhere, for the service role only). */
export const SHARE_LINK_COLUMNS = 'id, job_id, forms, note, created_by, created_at, expires_at, revoked_at, revoked_by';

/** Where a link's page lives: the token is the whole secret. */
export function shareLinkPath(token: string): string {
  return `/s/${token}`;
}
