import Link from 'next/link';
import { SignOutButton } from './sign-out-button';

export function AppHeader({ email }: { email: string | undefined }) {
  return (
    <header className="border-b border-neutral-200 bg-white">
      <div className="mx-auto flex max-w-6xl items-center justify-between px-4 py-3">
        <Link href="/" className="text-lg font-semibold">
          Baton
        </Link>
        <div className="flex items-center gap-3 text-sm text-neutral-600">
          <span>{email}</span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
