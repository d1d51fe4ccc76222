import type { Metadata } from 'next';
import { Suspense } from 'react';
import { NewExportForm } from '@/components/exports/new-export-form';

export const metadata: Metadata = { title: 'New export — Baton' };

export default function NewExportPage() {
  return (
    <div className="mx-auto max-w-3xl">
      <h1 className="text-2xl font-semibold">New export</h1>
      <p className="mt-1 text-sm text-neutral-600">
        Pick a source, the columns and an optional filter. The export runs in the background; you can leave this page.
      </p>
      <Suspense>
        <NewExportForm />
      </Suspense>
    </div>
  );
}
