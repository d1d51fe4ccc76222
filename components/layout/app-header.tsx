import Link from 'next/link';
import { NotificationBell } from '@/components/notifications/notification-bell';
import { MainNav } from './main-nav';
import type { NavSections } from './nav-items';
import { PaletteButton } from './palette-button';
import { PhoneMenu } from './phone-menu';
import { SignOutButton } from './sign-out-button';

/**
 * One row at every width: from 768 px the sections, the email and "Sign out" are shown; below, they fold
 * into the phone menu. "New export" is on the exports list and in the command palette, not here.
 */
export function AppHeader({
  userId,
  email,
  sections,
}: {
  userId: string;
  email: string | undefined;
  /** The role-bound sections: system health (support, admin), settings (admin). */
  sections: NavSections;
}) {
  return (
    <header className="border-b border-neutral-200 bg-white">
      <div className="mx-auto flex max-w-7xl items-center justify-between gap-3 px-4 py-3">
        <div className="flex min-w-0 items-center gap-6">
          <Link href="/exports" className="text-lg font-semibold">
            Baton
          </Link>
          <MainNav sections={sections} />
        </div>
        <div className="flex min-w-0 items-center gap-2 text-sm text-neutral-700 md:gap-3">
          <PaletteButton />
          <NotificationBell userId={userId} />
          <span className="hidden truncate lg:inline">{email}</span>
          <span className="hidden md:inline-flex">
            <SignOutButton />
          </span>
          <PhoneMenu email={email} sections={sections} />
        </div>
      </div>
    </header>
  );
}
