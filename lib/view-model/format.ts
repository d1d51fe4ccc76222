import prettyBytes from 'pretty-bytes';

const integer = new Intl.NumberFormat('en-US');

export const formatCount = (n: number | bigint): string => integer.format(n);

/** "12.3 MB (12,345,678 bytes)" where an exact size matters (downloads), "12.3 MB" elsewhere. */
export function formatBytes(bytes: number, exact = false): string {
  const pretty = prettyBytes(bytes);
  return exact && bytes >= 1000 ? `${pretty} (${integer.format(bytes)} bytes)` : pretty;
}

/** Compact elapsed time: "45 s", "3 min 05 s", "2 h 04 min". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${s} s`;
}

/** "about 2–3 min", "under a minute", "about 1 h 10 min – 1 h 30 min". */
export function formatEtaRange([low, high]: [number, number]): string {
  if (high < 60) return 'under a minute';
  const roughly = (s: number) => {
    if (s < 3600) return Math.max(1, Math.round(s / 60));
    return null;
  };
  const lo = roughly(low);
  const hi = roughly(high);
  if (lo !== null && hi !== null) return lo === hi ? `about ${lo} min` : `about ${lo}–${hi} min`;
  return `about ${formatDuration(low * 1000)} – ${formatDuration(high * 1000)}`;
}

export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '—';
  return `${integer.format(Math.round(perSecond))} records/s`;
}

/** A label as it starts a line: "Not written", not CSS `capitalize`'s "Not Written". */
export const sentenceCase = (label: string): string => label.charAt(0).toUpperCase() + label.slice(1);

/** ["a"] → "a", ["a", "b", "c"] → "a, b and c". */
export const andList = (parts: readonly string[]): string =>
  parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : (parts[0] ?? '');

/** "1 export", "3 exports", "2 running exports". */
export function exportsCount(n: number, what = ''): string {
  return `${formatCount(n)} ${what ? `${what} ` : ''}export${n === 1 ? '' : 's'}`;
}
