'use client';

import { Fragment } from 'react';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Kbd } from '@/components/ui/kbd';
import { SHORTCUT_SECTIONS, type Shortcut } from './shortcut-catalog';
import { useModKey } from './use-mod-key';

function Keys({ shortcut, mod }: { shortcut: Shortcut; mod: string }) {
  const key = shortcut.label ?? shortcut.key;
  return (
    <span className="flex shrink-0 items-center gap-1">
      {shortcut.mod ? (
        <>
          <Kbd>{mod}</Kbd>
          <span className="sr-only"> plus </span>
        </>
      ) : null}
      <Kbd>{key}</Kbd>
    </span>
  );
}

/** `?`: every page's keyboard shortcuts, from the catalog the key handlers use. */
export function ShortcutsDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const mod = useModKey();
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-w-2xl">
        <DialogHeader>
          <DialogTitle>Keyboard shortcuts</DialogTitle>
          <DialogDescription>
            Single keys work when you are not typing in a field; {mod}+K works everywhere.
          </DialogDescription>
        </DialogHeader>
        <div className="grid gap-x-8 gap-y-5 overflow-y-auto sm:grid-cols-2">
          {SHORTCUT_SECTIONS.map((section) => (
            <section key={section.title} aria-label={section.title}>
              <h3 className="mb-2 text-sm font-semibold">{section.title}</h3>
              <dl className="grid grid-cols-[1fr_auto] gap-x-4 gap-y-1.5 text-sm">
                {section.shortcuts.map((shortcut) => (
                  <Fragment key={`${shortcut.mod ? 'mod+' : ''}${shortcut.key}`}>
                    <dt className="text-neutral-700">{shortcut.description}</dt>
                    <dd>
                      <Keys shortcut={shortcut} mod={mod} />
                    </dd>
                  </Fragment>
                ))}
              </dl>
            </section>
          ))}
        </div>
      </DialogContent>
    </Dialog>
  );
}
