import { describe, expect, it } from 'vitest';
import { keyTarget } from '@/components/shard-map/shard-map-keys';
import { GLOBAL_SHORTCUTS, LIST_SHORTCUTS, matchesShortcut, SHARD_MAP_SHORTCUTS } from './shortcut-catalog';

const press = (key: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'altKey', boolean>> = {}) => ({
  key,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('matchesShortcut', () => {
  it('opens the palette with Ctrl+K and ⌘K, never with a bare k (the list’s “previous export”)', () => {
    expect(matchesShortcut(press('k', { ctrlKey: true }), GLOBAL_SHORTCUTS.palette)).toBe(true);
    expect(matchesShortcut(press('k', { metaKey: true }), GLOBAL_SHORTCUTS.palette)).toBe(true);
    expect(matchesShortcut(press('K', { ctrlKey: true }), GLOBAL_SHORTCUTS.palette)).toBe(true);
    expect(matchesShortcut(press('k'), GLOBAL_SHORTCUTS.palette)).toBe(false);
    expect(matchesShortcut(press('k'), LIST_SHORTCUTS.previous)).toBe(true);
    expect(matchesShortcut(press('k', { ctrlKey: true }), LIST_SHORTCUTS.previous)).toBe(false);
  });

  it('leaves Alt and other modified keys to the browser', () => {
    expect(matchesShortcut(press('/', { altKey: true }), LIST_SHORTCUTS.search)).toBe(false);
    expect(matchesShortcut(press('?', { ctrlKey: true }), GLOBAL_SHORTCUTS.help)).toBe(false);
    expect(matchesShortcut(press('?'), GLOBAL_SHORTCUTS.help)).toBe(true);
  });
});

describe('the shard map’s entries', () => {
  it('are keys the shard map handles (Enter is a cell button’s own)', () => {
    for (const shortcut of SHARD_MAP_SHORTCUTS) {
      if (shortcut.key === 'Enter') continue;
      expect(keyTarget(shortcut.key, 'mod' in shortcut, 100, 60, 14, 4_000), shortcut.key).not.toBeNull();
    }
  });
});
