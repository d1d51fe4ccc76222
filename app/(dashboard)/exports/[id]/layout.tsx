import type { ReactNode } from 'react';
import { findExportForPage } from './find-export';

/**
 * Decides whether the export exists before anything of the page is sent, so a missing one answers
 * 404: once a loading fallback (the page's loading.tsx) has streamed, the status is fixed at 200. The
 * list's skeleton lives in the `(list)` group for the same reason: a boundary above this layout would
 * stream first.
 */
export default async function ExportLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ id: string }>;
}) {
  await findExportForPage((await params).id);
  return children;
}
