/**
 * Where a key moves the shard map's active cell: arrows by one cell or row, PageUp/PageDown by one
 * visible page of rows (never straight to the end), Home/End to the row's ends, Ctrl+Home/End to the
 * first and last shard. Null for keys the map does not handle. Clamped to 0..count-1.
 */
export function keyTarget(
  key: string,
  ctrl: boolean,
  index: number,
  cols: number,
  pageRows: number,
  count: number,
): number | null {
  const moves: Record<string, number> = {
    ArrowRight: index + 1,
    ArrowLeft: index - 1,
    ArrowDown: index + cols,
    ArrowUp: index - cols,
    PageDown: index + cols * pageRows,
    PageUp: index - cols * pageRows,
    Home: ctrl ? 0 : index - (index % cols),
    End: ctrl ? count - 1 : index - (index % cols) + cols - 1,
  };
  const target = moves[key];
  if (target === undefined) return null;
  return Math.max(0, Math.min(count - 1, target));
}
