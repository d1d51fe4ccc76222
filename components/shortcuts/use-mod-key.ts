'use client';

import { useSyncExternalStore } from 'react';

const subscribeNever = () => () => undefined;

/** How to name the shortcuts' modifier: ⌘ on a Mac, Ctrl elsewhere (and on the server, which cannot know). */
export function useModKey(): '⌘' | 'Ctrl' {
  return useSyncExternalStore(
    subscribeNever,
    () => (/Mac|iPhone|iPad/.test(navigator.userAgent) ? '⌘' : 'Ctrl'),
    () => 'Ctrl',
  );
}
