'use client';

import { SearchIcon } from 'lucide-react';
import { useCommandCenter } from '@/components/command-palette/command-center';
import { Button } from '@/components/ui/button';
import { useModKey } from '@/components/shortcuts/use-mod-key';
import { Kbd } from '@/components/ui/kbd';

/** Opens the command palette: a search field's look from 640 px, an icon on a phone. */
export function PaletteButton() {
  const { openPalette } = useCommandCenter();
  const mod = useModKey();
  return (
    <Button
      variant="outline"
      size="sm"
      onClick={openPalette}
      aria-keyshortcuts="Control+K Meta+K"
      className="size-9 px-0 text-neutral-600 sm:w-56 sm:justify-between sm:px-3"
    >
      <span className="flex items-center gap-2">
        <SearchIcon aria-hidden />
        <span className="sr-only sm:not-sr-only">Go to or run…</span>
      </span>
      <Kbd aria-hidden className="hidden sm:inline-flex">
        {mod} K
      </Kbd>
    </Button>
  );
}
