'use client';

import type { LucideIcon } from 'lucide-react';
import { createContext, useContext, useEffect, useId, useState, useSyncExternalStore, type ReactNode } from 'react';

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

/** What the palette shows of a page's commands; a change of it, not of their closures, re-renders the palette. */
const signatureOf = (page: PageCommands): string =>
  JSON.stringify([page.heading, page.commands.map((c) => [c.id, c.label]), page.shards?.total ?? null]);

/**
 * Holds what the pages register. Not React state: a page re-registers on every render (its commands follow
 * the export's state), and state would re-render the page that set it, for ever. The palette subscribes,
 * and hears of a change only when what it shows changes: a page registering after the palette opened
 * (a palette opened as the page loads) still gets its commands.
 */
class Registry {
  /** Each page's commands beside the signature they had when set: a set compares one new signature. */
  private readonly pages = new Map<string, { page: PageCommands; signature: string }>();
  private readonly listeners = new Set<() => void>();
  private version = 0;

  set(key: string, page: PageCommands) {
    const signature = signatureOf(page);
    const changed = this.pages.get(key)?.signature !== signature;
    this.pages.set(key, { page, signature });
    if (changed) this.notify();
  }

  delete(key: string) {
    if (this.pages.delete(key)) this.notify();
  }

  values = (): PageCommands[] => [...this.pages.values()].map((entry) => entry.page);
  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  getVersion = () => this.version;

  private notify() {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }
}

const RegistryContext = createContext<Registry | null>(null);

export function PageCommandsProvider({ children }: { children: ReactNode }) {
  const [registry] = useState(() => new Registry());
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
  useEffect(() => () => registry.delete(key), [registry, key]);
}

/** What the pages shown now offer, in the order they registered; re-renders when that changes. */
export function useRegisteredCommands(): PageCommands[] {
  const registry = useRegistry();
  useSyncExternalStore(registry.subscribe, registry.getVersion, registry.getVersion);
  return registry.values();
}
