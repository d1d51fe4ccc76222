'use client';

import { useQuery } from '@tanstack/react-query';
import { FileTextIcon, HashIcon, KeyboardIcon, ListIcon, PlusIcon } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { ExportStatusBadge } from '@/components/exports/export-status-badge';
import { Command, CommandEmpty, CommandGroup, CommandInput, CommandItem, CommandList } from '@/components/ui/command';
import { Dialog, DialogContent, DialogDescription, DialogTitle } from '@/components/ui/dialog';
import { exportsQueryOptions } from '@/lib/queries/exports-query';
import { formatCount } from '@/lib/view-model/format';
import { useRegisteredCommands } from './page-commands';
import { shardQuery } from './shard-query';

/** Exports listed before anything is typed; typing searches all the organisation's exports the list API returns. */
const RECENT_EXPORTS = 5;

/**
 * ⌘K / Ctrl+K: go to an export by name or id, go to shard N, start a new export, and whatever the page
 * shown offers (cancel, retry, download on an export page). cmdk filters and handles the keys (↑ ↓ Enter).
 */
export function CommandPalette({
  open,
  onOpenChange,
  canStartExports,
  onShowShortcuts,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  canStartExports: boolean;
  onShowShortcuts: () => void;
}) {
  const router = useRouter();
  const [search, setSearch] = useState('');
  const pageCommands = useRegisteredCommands();
  // The list page's own query: the palette shares its cache (and its live updates) when the list was open.
  const exports = useQuery({ ...exportsQueryOptions(), enabled: open });
  const shardNo = shardQuery(search);
  const shardPage = pageCommands.find((p) => p.shards);
  // A command that opens something of the page's (a dialog) runs once the palette has closed and handed
  // focus back, or the two dialogs would fight over focus.
  const afterClose = useRef<(() => void) | null>(null);

  const close = (then?: () => void) => {
    afterClose.current = then ?? null;
    onOpenChange(false);
  };
  const go = (href: string) => close(() => router.push(href));

  const typed = search.trim().length > 0;
  const jobs = exports.data ?? [];
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (!next) setSearch('');
        onOpenChange(next);
      }}
    >
      <DialogContent
        showClose={false}
        className="max-w-xl gap-0 p-0"
        onCloseAutoFocus={(event) => {
          const then = afterClose.current;
          afterClose.current = null;
          setSearch('');
          if (!then) return;
          event.preventDefault();
          then();
        }}
      >
        <DialogTitle className="sr-only">Command palette</DialogTitle>
        <DialogDescription className="sr-only">
          Type an export’s name or id, a shard number or a command; arrow keys choose, Enter runs it.
        </DialogDescription>
        <Command label="Command palette" loop>
          <CommandInput
            placeholder="Export name or id, shard number, or a command…"
            value={search}
            onValueChange={setSearch}
          />
          <CommandList>
            <CommandEmpty>Nothing matches “{search.trim()}”.</CommandEmpty>
            {shardPage?.shards ? (
              <CommandGroup heading="Shards">
                {shardNo !== null && shardNo <= shardPage.shards.total ? (
                  <CommandItem
                    forceMount
                    value={`go to shard ${shardNo}`}
                    onSelect={() => {
                      const { goTo } = shardPage.shards!;
                      close(() => goTo(shardNo));
                    }}
                  >
                    <HashIcon aria-hidden />
                    Go to shard {formatCount(shardNo)}
                  </CommandItem>
                ) : shardNo !== null ? (
                  <CommandItem forceMount disabled value="no such shard">
                    <HashIcon aria-hidden />
                    No shard {formatCount(shardNo)}: this export has {formatCount(shardPage.shards.total)}
                  </CommandItem>
                ) : (
                  <CommandItem value="go to shard number" onSelect={() => setSearch('shard ')}>
                    <HashIcon aria-hidden />
                    Go to shard… <span className="text-neutral-600">(type its number)</span>
                  </CommandItem>
                )}
              </CommandGroup>
            ) : null}
            {pageCommands.map((page) =>
              page.commands.length > 0 ? (
                <CommandGroup key={page.heading} heading={page.heading}>
                  {page.commands.map((command) => (
                    <CommandItem
                      key={command.id}
                      value={command.label}
                      keywords={command.keywords}
                      onSelect={() => close(command.run)}
                    >
                      <command.icon aria-hidden />
                      {command.label}
                    </CommandItem>
                  ))}
                </CommandGroup>
              ) : null,
            )}
            <CommandGroup heading={typed ? 'Exports' : 'Recent exports'}>
              {exports.isPending ? (
                <CommandItem disabled value="loading exports">
                  Loading exports…
                </CommandItem>
              ) : exports.isError ? (
                <CommandItem disabled value="exports could not be loaded">
                  Exports could not be loaded: {exports.error.message}
                </CommandItem>
              ) : (
                (typed ? jobs : jobs.slice(0, RECENT_EXPORTS)).map((job) => (
                  <CommandItem
                    key={job.id}
                    value={job.id}
                    keywords={[job.name, job.collection]}
                    onSelect={() => go(`/exports/${job.id}`)}
                  >
                    <FileTextIcon aria-hidden />
                    <span className="min-w-0 flex-1 truncate">{job.name}</span>
                    <span className="font-mono text-xs text-neutral-600">{job.id.slice(0, 8)}</span>
                    <ExportStatusBadge job={job} />
                  </CommandItem>
                ))
              )}
            </CommandGroup>
            <CommandGroup heading="Go to">
              {canStartExports ? (
                <CommandItem
                  value="Start a new export"
                  keywords={['create', 'run']}
                  onSelect={() => go('/exports/new')}
                >
                  <PlusIcon aria-hidden />
                  Start a new export
                </CommandItem>
              ) : null}
              <CommandItem value="All exports" keywords={['list', 'history']} onSelect={() => go('/exports')}>
                <ListIcon aria-hidden />
                All exports
              </CommandItem>
              <CommandItem
                value="Keyboard shortcuts"
                keywords={['help', 'keys']}
                onSelect={() => close(onShowShortcuts)}
              >
                <KeyboardIcon aria-hidden />
                Keyboard shortcuts
              </CommandItem>
            </CommandGroup>
          </CommandList>
        </Command>
      </DialogContent>
    </Dialog>
  );
}
