'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from '@/lib/utils';

/** The settings pages, one concern each: the organisation's own rules, then how scripts and systems reach it. */
const SETTINGS_PAGES = [
  { href: '/settings', label: 'Organisation' },
  { href: '/settings/api-tokens', label: 'API tokens' },
  { href: '/settings/webhooks', label: 'Webhooks' },
] as const;

export function SettingsNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings" className="border-b border-neutral-200">
      <ul className="-mb-px flex gap-4 overflow-x-auto">
        {SETTINGS_PAGES.map((page) => {
          const current = pathname === page.href;
          return (
            <li key={page.href}>
              <Link
                href={page.href}
                aria-current={current ? 'page' : undefined}
                className={cn(
                  'inline-block border-b-2 px-1 py-2 text-sm whitespace-nowrap',
                  current
                    ? 'border-blue-700 font-medium text-neutral-900'
                    : 'border-transparent text-neutral-600 hover:text-neutral-900',
                )}
              >
                {page.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
