import type { ReactNode } from 'react';
import { CommandCenter } from '@/components/command-palette/command-center';
import { AppHeader } from '@/components/layout/app-header';
import { SkipLink } from '@/components/layout/skip-link';
import { currentMemberships } from '@/lib/auth/current-memberships';
import { currentStartPermission } from '@/lib/auth/current-start-permission';
import { requireCurrentUser } from '@/lib/auth/current-user';
import { canSeeSystemHealth } from '@/lib/system/can-see-system-health';

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requireCurrentUser('/exports');
  const [permission, memberships] = await Promise.all([
    currentStartPermission(user.userId),
    currentMemberships(user.userId),
  ]);
  const sections = {
    systemHealth: canSeeSystemHealth(memberships),
    settings: memberships.some((m) => m.role === 'admin'),
  };
  return (
    <CommandCenter canStartExports={permission.canStart}>
      <SkipLink />
      <AppHeader userId={user.userId} email={user.email} sections={sections} />
      {/* The bottom padding is the toasts' lane: scrolled to the end, the page's last controls sit above them. */}
      <main id="main" tabIndex={-1} className="mx-auto max-w-7xl px-4 pt-8 pb-40 focus:outline-none">
        {/* Pages stream their content in with scripts: without them they would say "Loading…" for ever. */}
        <noscript>
          <p
            data-testid="needs-javascript"
            className="mb-6 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-900"
          >
            The Baton dashboard needs JavaScript: turn it on for this site and reload the page.
          </p>
        </noscript>
        {children}
      </main>
    </CommandCenter>
  );
}
