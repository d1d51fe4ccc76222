/**
 * Every keyboard shortcut of the dashboard, in one place: the key handlers match events against these
 * entries, and the shortcuts dialog (`?`) lists them, so the two cannot drift apart. `key` is a
 * KeyboardEvent.key value; `mod` means Ctrl, or ⌘ on a Mac.
 */
export type Shortcut = {
  key: string;
  mod?: boolean;
  /** Shown instead of the key itself, e.g. "↓" for ArrowDown. */
  label?: string;
  description: string;
};

export const GLOBAL_SHORTCUTS = {
  palette: { key: 'k', mod: true, label: 'K', description: 'Open the command palette' },
  help: { key: '?', description: 'Show these keyboard shortcuts' },
} as const satisfies Record<string, Shortcut>;

export const LIST_SHORTCUTS = {
  search: { key: '/', description: 'Search the exports' },
  next: { key: 'j', description: 'Next export' },
  previous: { key: 'k', description: 'Previous export' },
} as const satisfies Record<string, Shortcut>;

/** Handled by the shard map itself (components/shard-map/shard-map-keys.ts) while one of its cells has focus. */
export const SHARD_MAP_SHORTCUTS = [
  { key: 'ArrowRight', label: '→', description: 'Next shard' },
  { key: 'ArrowLeft', label: '←', description: 'Previous shard' },
  { key: 'ArrowDown', label: '↓', description: 'Shard one row down' },
  { key: 'ArrowUp', label: '↑', description: 'Shard one row up' },
  { key: 'PageDown', label: 'Page Down', description: 'One screen of rows down' },
  { key: 'PageUp', label: 'Page Up', description: 'One screen of rows up' },
  { key: 'Home', description: 'First shard of the row' },
  { key: 'End', description: 'Last shard of the row' },
  { key: 'Home', mod: true, label: 'Home', description: 'First shard' },
  { key: 'End', mod: true, label: 'End', description: 'Last shard' },
  { key: 'Enter', description: 'Open the shard' },
] as const satisfies readonly Shortcut[];

export type ShortcutSection = { title: string; shortcuts: readonly Shortcut[] };

/** What the `?` dialog lists, page by page. */
export const SHORTCUT_SECTIONS: readonly ShortcutSection[] = [
  { title: 'Everywhere', shortcuts: Object.values(GLOBAL_SHORTCUTS) },
  { title: 'Exports list', shortcuts: Object.values(LIST_SHORTCUTS) },
  { title: 'Export page: shard map', shortcuts: SHARD_MAP_SHORTCUTS },
  {
    title: 'Dialogs, menus and the command palette',
    shortcuts: [
      { key: 'ArrowDown', label: '↓', description: 'Next item' },
      { key: 'ArrowUp', label: '↑', description: 'Previous item' },
      { key: 'Enter', description: 'Run the chosen item' },
      { key: 'Escape', label: 'Esc', description: 'Close' },
    ],
  },
];

/** Whether a key press is this shortcut: its key, and a modifier exactly when it asks for one. */
export function matchesShortcut(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>,
  shortcut: Shortcut,
) {
  const mod = event.ctrlKey || event.metaKey;
  if (event.altKey || mod !== Boolean(shortcut.mod)) return false;
  return shortcut.mod ? event.key.toLowerCase() === shortcut.key : event.key === shortcut.key;
}

/**
 * A key press meant for a field, not for a shortcut: typing in an input, a text area, a select or
 * editable text. Shortcuts without a modifier never fire there (`/`, `j` or `?` are text).
 */
export function isTypingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
