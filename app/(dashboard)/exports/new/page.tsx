import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { NewExportForm } from '@/components/exports/new-export-form';
import { startRefusalText } from '@/components/exports/start-refusal';
import { currentStartPermission } from '@/lib/auth/current-start-permission';
import { requireCurrentUser } from '@/lib/auth/current-user';

export const metadata: Metadata = { title: 'New export — Baton' };

export default async function NewExportPage() {
  const user = await requireCurrentUser('/exports/new');
  const permission = await currentStartPermission(user.userId);
  return (
    <div className="mx-auto max-w-3xl">
      <h1 className="text-2xl font-semibold">New export</h1>
      {permission.canStart ? (
        <>
          <p className="mt-1 text-sm text-neutral-600">
            Pick a source, the columns and an optional filter. The export runs in the background; you can leave this
            page.
          </p>
          <Suspense>
            <NewExportForm />
          </Suspense>
        </>
      ) : (
        // A form whose Start the API would refuse is not shown at all: the role, and who can change it.
        <div role="note" className="mt-4 rounded-md border border-neutral-200 bg-white px-4 py-3 text-sm">
          <p className="text-neutral-800">{startRefusalText(permission.role)}</p>
          <Link href="/exports" className="mt-2 inline-block text-blue-700 underline underline-offset-4">
            Back to the exports
          </Link>
        </div>
      )}
    </div>
  );
}
