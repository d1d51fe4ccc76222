import { format } from 'date-fns';
import { ArchiveXIcon } from 'lucide-react';
import type { ExportJob } from '@/lib/exports/types';

/** An export whose files expired: what is left (manifest, history) and the way forward ("Run again"). */
export function ExpiredBanner({ job }: { job: Pick<ExportJob, 'expired_at'> }) {
  if (!job.expired_at) return null;
  return (
    <div
      className="flex items-start gap-2 rounded-md border border-neutral-300 bg-neutral-50 px-4 py-3 text-sm text-neutral-800"
      data-testid="expired-banner"
    >
      <ArchiveXIcon aria-hidden className="mt-0.5 size-4 shrink-0" />
      <span>
        <strong>Files expired on {format(new Date(job.expired_at), 'd MMM yyyy')}.</strong> They were removed under the
        organisation&rsquo;s retention period; the shards&rsquo; manifest and the activity stay. Use &ldquo;Run
        again&rdquo; for a fresh file of the same records.
      </span>
    </div>
  );
}
