/**
 * Where a key moves the shard map's active cell: arrows by one cell or row, PageUp/PageDown by one
 * visible page of rows in the same column (never straight to the last shard: past the end they stop on
 * the column's last cell), Home/End to the row's ends, Ctrl+Home/End to the first and last shard. Null
 * for keys the map does not handle. Clamped to 0..count-1.
 */
export function keyTarget(
  key: string,
  ctrl: boolean,
  index: number,
  cols: number,
  pageRows: number,
  count: number,
): number | null {
  if (key === 'PageDown' || key === 'PageUp')
    return pageTarget(key === 'PageDown' ? 1 : -1, index, cols, pageRows, count);
  const moves: Record<string, number> = {
    ArrowRight: index + 1,
    ArrowLeft: index - 1,
    ArrowDown: index + cols,
    ArrowUp: index - cols,
    Home: ctrl ? 0 : index - (index % cols),
    End: ctrl ? count - 1 : index - (index % cols) + cols - 1,
  };
  const target = moves[key];
  if (target === undefined) return null;
  return Math.max(0, Math.min(count - 1, target));
}

/** One page of rows up or down, keeping the column; the last row may be short, so stop above it if it is. */
function pageTarget(direction: 1 | -1, index: number, cols: number, pageRows: number, count: number): number {
  const column = index % cols;
  const lastRow = Math.floor((count - 1) / cols);
  const row = Math.max(0, Math.min(lastRow, Math.floor(index / cols) + direction * pageRows));
  let target = row * cols + column;
  while (target > count - 1) target -= cols;
  return Math.max(0, target);
}

/**
 * Rows one PageUp/PageDown moves: the rows the map's viewport shows, less one kept in view for context.
 * Measured from the viewport, not its maximum height: a map of 5 rows pages by 4, not by the 14 a full
 * viewport holds (which jumped to the last shard).
 */
export function rowsPerPage(viewportHeight: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
}
