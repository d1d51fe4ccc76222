'use client';

import { useEffect, type RefObject } from 'react';

/** Typing in a field, or a key with a modifier, is never a shortcut. */
function typing(event: KeyboardEvent): boolean {
  const el = event.target as HTMLElement | null;
  if (event.metaKey || event.ctrlKey || event.altKey) return true;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/**
 * The list's keyboard shortcuts, as in mail and code-review tools: `/` focuses the search, `j`/`k` move
 * focus to the next/previous export's link (only links currently shown: the table or, on a phone, the
 * cards).
 */
export function useListShortcuts(search: RefObject<HTMLInputElement | null>) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (typing(event)) return;
      if (event.key === '/') {
        event.preventDefault();
        search.current?.focus();
        return;
      }
      if (event.key !== 'j' && event.key !== 'k') return;
      const links = [...document.querySelectorAll<HTMLAnchorElement>('a[data-row-link]')].filter(
        (a) => a.offsetParent !== null,
      );
      if (links.length === 0) return;
      event.preventDefault();
      const at = links.indexOf(document.activeElement as HTMLAnchorElement);
      const next = at === -1 ? 0 : Math.max(0, Math.min(links.length - 1, at + (event.key === 'j' ? 1 : -1)));
      links[next]?.focus();
      links[next]?.scrollIntoView({ block: 'nearest' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [search]);
}
