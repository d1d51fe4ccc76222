'use client';

import type { LucideIcon } from 'lucide-react';
import { createContext, useContext, useEffect, useId, useState, type ReactNode } from 'react';

/** A command a page offers in the palette while it is shown, such as "Cancel export". */
export type PageCommand = {
  id: string;
  label: string;
  icon: LucideIcon;
  /** More words the palette's filter matches, besides the label. */
  keywords?: string[];
  run: () => void;
};

/** What one page registers: its commands, and a shard range "go to shard N" can reach, if it has shards. */
export type PageCommands = {
  heading: string;
  commands: PageCommand[];
  shards?: { total: number; goTo: (shardNo: number) => void };
};

type Registry = Map<string, PageCommands>;

const RegistryContext = createContext<Registry | null>(null);

/**
 * Holds what the pages register. A plain map, not React state: a page re-registers on every render
 * (its commands follow the export's state), and state would re-render the page that set it, for ever.
 * The palette reads the map when it renders, which it does as it opens and as the user types.
 */
export function PageCommandsProvider({ children }: { children: ReactNode }) {
  const [registry] = useState<Registry>(() => new Map());
  return <RegistryContext.Provider value={registry}>{children}</RegistryContext.Provider>;
}

function useRegistry(): Registry {
  const registry = useContext(RegistryContext);
  if (!registry) throw new Error('Page commands need a PageCommandsProvider above them (the dashboard layout).');
  return registry;
}

/** Offers a page's commands in the palette for as long as the page is shown. */
export function usePageCommands(commands: PageCommands) {
  const registry = useRegistry();
  const key = useId();
  useEffect(() => {
    registry.set(key, commands);
  });
  useEffect(() => () => void registry.delete(key), [registry, key]);
}

/** What the pages shown now offer, in the order they registered. */
export function useRegisteredCommands(): () => PageCommands[] {
  const registry = useRegistry();
  return () => [...registry.values()];
}
