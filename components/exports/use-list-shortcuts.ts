'use client';

import { useEffect, type RefObject } from 'react';
import { isTypingIn, LIST_SHORTCUTS, matchesShortcut } from '@/components/shortcuts/shortcut-catalog';
import { focusRowLink, visibleRowLinks } from './row-links';

/**
 * The list's keyboard shortcuts, as in mail and code-review tools: `/` focuses the search, `j`/`k` move
 * focus to the next/previous export's link (only links currently shown: the table or, on a phone, the
 * cards). The keys and their descriptions come from the shortcut catalog the `?` dialog lists.
 */
export function useListShortcuts(search: RefObject<HTMLInputElement | null>) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || isTypingIn(event.target)) return;
      if (matchesShortcut(event, LIST_SHORTCUTS.search)) {
        event.preventDefault();
        search.current?.focus();
        return;
      }
      const step = matchesShortcut(event, LIST_SHORTCUTS.next)
        ? 1
        : matchesShortcut(event, LIST_SHORTCUTS.previous)
          ? -1
          : 0;
      if (step === 0) return;
      const links = visibleRowLinks();
      if (links.length === 0) return;
      event.preventDefault();
      const at = links.indexOf(document.activeElement as HTMLAnchorElement);
      const next = at === -1 ? 0 : Math.max(0, Math.min(links.length - 1, at + step));
      const link = links[next];
      if (link) focusRowLink(link);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [search]);
}
