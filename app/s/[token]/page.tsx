import { formatDistanceStrict } from 'date-fns';
import { DownloadIcon } from 'lucide-react';
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Button } from '@/components/ui/button';
import { AppError } from '@/lib/api/app-error';
import { readSharedExport } from '@/lib/share-links/read-shared-export';
import { createAdminClient } from '@/lib/supabase/admin';
import { FORM_TEXT } from '@/lib/view-model/download-form-text';
import { formatBytes, formatCount } from '@/lib/view-model/format';

// The token is in the address: keep the page out of search engines and of shared caches.
export const metadata: Metadata = { title: 'Shared file — Baton', robots: { index: false, follow: false } };

/**
 * A share link's page, for people without an account (the proxy lets /s/* through without a session):
 * the export's name, each offered form with its exact size, a download button per form — nothing else
 * of the organisation. A dead link is the one 404 (not-found.tsx beside this page); a busy one says
 * when to come back.
 */
export default async function SharedExportPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const shared = await readSharedExport(createAdminClient(), token).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'not_found') notFound();
    if (error instanceof AppError && error.code === 'too_many_requests') return error;
    throw error;
  });
  if (shared instanceof AppError) {
    return (
      <main className="mx-auto flex max-w-lg flex-col gap-3 px-4 py-16">
        <h1 className="text-2xl font-semibold">Shared file</h1>
        <p className="text-neutral-700">{shared.message}</p>
      </main>
    );
  }
  const format = shared.format.toUpperCase();
  return (
    <main className="mx-auto flex max-w-xl flex-col gap-6 px-4 py-16">
      <div className="flex flex-col gap-1">
        <p className="text-sm text-neutral-600">Shared file{shared.partial ? ' (partial)' : ''}</p>
        <h1 className="text-2xl font-semibold break-words">{shared.name}</h1>
        <p className="text-sm text-neutral-700">
          This link works for{' '}
          <time dateTime={shared.expiresAt}>
            {formatDistanceStrict(new Date(shared.expiresAt), new Date(), { roundingMethod: 'floor' })}
          </time>{' '}
          more.
          {shared.partial ? ' The export stopped before the end: the file holds what it wrote.' : ''}
        </p>
      </div>
      <ul className="flex flex-col divide-y divide-neutral-200 rounded-lg border border-neutral-200 bg-white">
        {shared.forms.map(({ form, size, href }) => {
          const name = FORM_TEXT[form].name(format);
          return (
            <li key={form} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center">
              <div className="flex min-w-0 flex-1 flex-col gap-0.5">
                <span className="font-medium">
                  {name}
                  <span className="ml-2 font-normal text-neutral-700 tabular-nums">
                    {size === null ? 'header row only' : formatBytes(size)}
                  </span>
                  {size === null ? null : <span className="sr-only"> ({formatCount(size)} bytes)</span>}
                </span>
                <span className="text-sm text-neutral-600">{FORM_TEXT[form].hint}</span>
              </div>
              <Button asChild variant={form === shared.forms[0]?.form ? 'default' : 'outline'}>
                <a href={href} download>
                  <DownloadIcon aria-hidden />
                  Download {name}
                </a>
              </Button>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
