import { describe, expect, it } from 'vitest';
import { displayOrder, moveField, toggleField } from './field-order';

describe('field order', () => {
  it('moves a column up and down within bounds', () => {
    expect(moveField(['a', 'b', 'c'], 'c', -1)).toEqual(['a', 'c', 'b']);
    expect(moveField(['a', 'b', 'c'], 'a', -1)).toEqual(['a', 'b', 'c']);
    expect(moveField(['a', 'b', 'c'], 'c', 1)).toEqual(['a', 'b', 'c']);
    expect(moveField(['a', 'b'], 'x', 1)).toEqual(['a', 'b']);
  });

  it('toggles columns', () => {
    expect(toggleField(['a'], 'b', true)).toEqual(['a', 'b']);
    expect(toggleField(['a', 'b'], 'a', false)).toEqual(['b']);
    expect(toggleField(['a'], 'a', true)).toEqual(['a']);
  });

  it('shows the chosen columns first, in their order', () => {
    expect(displayOrder(['a', 'b', 'c', 'd'], ['c', 'a'])).toEqual(['c', 'a', 'b', 'd']);
  });
});
