/** Plain-text tables (they are pasted into the README as-is) and the number formats they use. */

export type Table = {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** Printed under the table: what was measured and how to read it. */
  notes?: string[];
};

const MB = 1_000_000;
const MIB = 1024 * 1024;

export function renderTable(table: Table): string {
  const cells = [table.columns, ...table.rows.map((row) => row.map(String))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  // Numbers (and n/a) right-aligned, words left-aligned: a column of figures reads at a glance.
  const numeric = (text: string) => /^[-+~≈<>]?[\d.,]+(\s?[%×a-zA-Z/]+)?$|^n\/a$|^—$/.test(text);
  const line = (row: string[]) =>
    row
      .map((cell, i) =>
        numeric(cell) && row !== table.columns ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [
    table.title,
    '',
    line(table.columns),
    rule,
    ...cells.slice(1).map(line),
    ...(table.notes?.length ? ['', ...table.notes.map((n) => `  ${n}`)] : []),
  ].join('\n');
}

/** Whole numbers with thousands separators; fractions with `digits` decimals. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const ms = (value: number, digits = 0) => (Number.isFinite(value) ? `${num(value, digits)} ms` : 'n/a');
export const mib = (bytes: number, digits = 1) => (Number.isFinite(bytes) ? `${num(bytes / MIB, digits)} MiB` : 'n/a');
export const mbps = (bytes: number, millis: number) =>
  millis > 0 ? `${num(bytes / MB / (millis / 1000), 1)} MB/s` : 'n/a';
export const perSecond = (count: number, millis: number) => (millis > 0 ? num(count / (millis / 1000)) : 'n/a');
export const ratio = (value: number, digits = 2) => (Number.isFinite(value) ? `${num(value, digits)}×` : 'n/a');
export const seconds = (millis: number, digits = 1) =>
  Number.isFinite(millis) ? `${num(millis / 1000, digits)} s` : 'n/a';
