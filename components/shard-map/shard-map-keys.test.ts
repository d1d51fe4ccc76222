import { describe, expect, it } from 'vitest';
import { keyTarget } from './shard-map-keys';

describe('keyTarget', () => {
  // 4,000 shards in rows of 60, 14 rows a page.
  const at = (key: string, index: number, ctrl = false) => keyTarget(key, ctrl, index, 60, 14, 4_000);

  it('moves PageDown and PageUp by one page of rows, not to the end', () => {
    expect(at('PageDown', 0)).toBe(840);
    expect(at('PageDown', 840)).toBe(1_680);
    expect(at('PageUp', 1_680)).toBe(840);
    expect(at('PageDown', 3_500)).toBe(3_999);
  });

  it('moves by cell and row with the arrows, to row ends with Home/End, to the ends with Ctrl', () => {
    expect(at('ArrowRight', 5)).toBe(6);
    expect(at('ArrowDown', 5)).toBe(65);
    expect(at('ArrowLeft', 0)).toBe(0);
    expect(at('Home', 65)).toBe(60);
    expect(at('End', 65)).toBe(119);
    expect(at('End', 65, true)).toBe(3_999);
    expect(at('Home', 65, true)).toBe(0);
    expect(at('Tab', 65)).toBeNull();
  });
});
