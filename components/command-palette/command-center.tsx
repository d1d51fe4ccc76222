'use client';

import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { ShortcutsDialog } from '@/components/shortcuts/shortcuts-dialog';
import { GLOBAL_SHORTCUTS, isTypingIn, matchesShortcut } from '@/components/shortcuts/shortcut-catalog';
import { CommandPalette } from './command-palette';
import { PageCommandsProvider } from './page-commands';

type CommandCenterActions = { openPalette: () => void; openShortcuts: () => void };

const CommandCenterContext = createContext<CommandCenterActions | null>(null);

/** For the header's buttons and menus: open the palette or the shortcuts dialog. */
export function useCommandCenter(): CommandCenterActions {
  const actions = useContext(CommandCenterContext);
  if (!actions) throw new Error('useCommandCenter needs the CommandCenter of the dashboard layout.');
  return actions;
}

/**
 * The dashboard's keyboard layer: the command palette (⌘K / Ctrl+K, from anywhere, a field included,
 * as a modified key is no text), the shortcuts dialog (`?`, never while typing), and the registry the
 * pages put their commands in.
 */
export function CommandCenter({ canStartExports, children }: { canStartExports: boolean; children: ReactNode }) {
  const [palette, setPalette] = useState(false);
  const [shortcuts, setShortcuts] = useState(false);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.repeat) return;
      if (matchesShortcut(event, GLOBAL_SHORTCUTS.palette)) {
        // Ctrl+K would otherwise move focus to the browser's address bar.
        event.preventDefault();
        setShortcuts(false);
        setPalette((open) => !open);
        return;
      }
      if (matchesShortcut(event, GLOBAL_SHORTCUTS.help) && !isTypingIn(event.target)) {
        event.preventDefault();
        setPalette(false);
        setShortcuts(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const [actions] = useState<CommandCenterActions>(() => ({
    openPalette: () => setPalette(true),
    openShortcuts: () => setShortcuts(true),
  }));
  return (
    <PageCommandsProvider>
      <CommandCenterContext.Provider value={actions}>
        {children}
        <CommandPalette
          open={palette}
          onOpenChange={setPalette}
          canStartExports={canStartExports}
          onShowShortcuts={() => setShortcuts(true)}
        />
        <ShortcutsDialog open={shortcuts} onOpenChange={setShortcuts} />
      </CommandCenterContext.Provider>
    </PageCommandsProvider>
  );
}
