import Link from 'next/link';
import { NotificationBell } from '@/components/notifications/notification-bell';
import { SignOutButton } from './sign-out-button';

export function AppHeader({
  userId,
  email,
  showSystemHealth,
}: {
  userId: string;
  email: string | undefined;
  /** Support or admin somewhere: the system health page is theirs. */
  showSystemHealth: boolean;
}) {
  return (
    <header className="border-b border-neutral-200 bg-white">
      <div className="mx-auto flex max-w-7xl items-center justify-between gap-4 px-4 py-3">
        <nav aria-label="Main" className="flex items-center gap-6">
          <Link href="/exports" className="text-lg font-semibold">
            Baton
          </Link>
          <Link href="/exports" className="text-sm text-neutral-700 hover:text-neutral-900">
            Exports
          </Link>
          <Link href="/exports/new" className="text-sm text-neutral-700 hover:text-neutral-900">
            New export
          </Link>
          {showSystemHealth ? (
            <Link href="/system" className="text-sm text-neutral-700 hover:text-neutral-900">
              System
            </Link>
          ) : null}
        </nav>
        <div className="flex items-center gap-3 text-sm text-neutral-700">
          <NotificationBell userId={userId} />
          <span className="hidden sm:inline">{email}</span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
