'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { cn } from '@/lib/utils';
import { isCurrentSection, navItems, type NavSections } from './nav-items';

/** The sections, inline on wider screens (the phone menu lists the same ones). */
export function MainNav({ sections }: { sections: NavSections }) {
  const pathname = usePathname() ?? '';
  return (
    <nav aria-label="Main" className="hidden items-center gap-6 md:flex">
      {navItems(sections).map((item) => {
        const current = isCurrentSection(item, pathname);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={current ? 'page' : undefined}
            className={cn(
              'text-sm text-neutral-700 hover:text-neutral-900',
              current && 'font-medium text-neutral-900 underline decoration-2 underline-offset-8',
            )}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
