'use client';

import { usePathname } from 'next/navigation';
import { focusRowLink, visibleRowLinks } from '@/components/exports/row-links';

const SKIP_LINK_CLASS =
  'sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow';

/**
 * The first tab stop of every page. On the exports list it skips the header, the search, the filters and
 * the sortable column headings and lands on the first export itself (or the content, with none shown).
 */
export function SkipLink() {
  const pathname = usePathname();
  if (pathname !== '/exports') {
    return (
      <a href="#main" className={SKIP_LINK_CLASS}>
        Skip to content
      </a>
    );
  }
  return (
    <a
      href="#main"
      className={SKIP_LINK_CLASS}
      onClick={(event) => {
        const first = visibleRowLinks()[0];
        if (!first) return;
        event.preventDefault();
        focusRowLink(first);
      }}
    >
      Skip to exports
    </a>
  );
}
