import { describe, expect, it } from 'vitest';
import { keyTarget, rowsPerPage } from './shard-map-keys';

describe('keyTarget', () => {
  // 4,000 shards in rows of 60, 14 rows a page.
  const at = (key: string, index: number, ctrl = false) => keyTarget(key, ctrl, index, 60, 14, 4_000);

  it('moves PageDown and PageUp by one page of rows, not to the end', () => {
    expect(at('PageDown', 0)).toBe(840);
    expect(at('PageDown', 840)).toBe(1_680);
    expect(at('PageUp', 1_680)).toBe(840);
    expect(at('PageUp', 500)).toBe(20);
  });

  it('stops PageDown on the last row in the same column, not on the last shard', () => {
    // Row 58, column 20 → the last row (66, 40 cells long) at column 20.
    expect(at('PageDown', 3_500)).toBe(3_980);
    // Column 50 has no cell in the short last row: the cell above it is the column's last.
    expect(at('PageDown', 3_350)).toBe(3_950);
  });

  it('pages a small map (268 shards in 5 rows of 56, all in view) row by row in the column', () => {
    const page = rowsPerPage(5 * 21, 21);
    expect(page).toBe(4);
    expect(keyTarget('PageDown', false, 3, 56, page, 268)).toBe(227);
    expect(keyTarget('PageUp', false, 227, 56, page, 268)).toBe(3);
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

describe('rowsPerPage', () => {
  it('is the rows in view less one, at least one', () => {
    expect(rowsPerPage(304, 21)).toBe(13);
    expect(rowsPerPage(20, 21)).toBe(1);
  });
});
