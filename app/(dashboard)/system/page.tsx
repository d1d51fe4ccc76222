import type { Metadata } from 'next';
import Link from 'next/link';
import { SystemHealthView } from '@/components/system/system-health-view';
import { AppError } from '@/lib/api/app-error';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { createClient } from '@/lib/supabase/server';
import { readSystemHealth } from '@/lib/system/read-system-health';

export const metadata: Metadata = { title: 'System health — Baton' };

/**
 * System health, for support and admins. A viewer or member who follows a link here reads why they
 * cannot see it and whom to ask, rather than "page not found": the page's existence is no secret (the
 * README names it), it shows them nothing, and a 404 would send them looking for a broken link.
 */
export default async function SystemPage() {
  await requireCurrentUser('/system');
  const health = await readSystemHealth(await createClient()).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'forbidden') return error;
    throw error;
  });
  if (!(health instanceof AppError)) return <SystemHealthView initial={health} />;
  return (
    <div className="mx-auto flex max-w-lg flex-col gap-3 py-16 text-center">
      <h1 className="text-2xl font-semibold">System health</h1>
      <p className="text-neutral-700">{health.message}</p>
      <Link href="/exports" className="text-blue-700 underline underline-offset-4">
        Back to exports
      </Link>
    </div>
  );
}
