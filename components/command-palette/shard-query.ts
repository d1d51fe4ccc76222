/**
 * The shard number in what was typed into the palette: "12", "#12", "shard 12", "shard 1,204". Null when
 * the text is no shard number.
 */
export function shardQuery(text: string): number | null {
  const match = /^(?:shard\s*)?#?\s*(\d[\d,]*)$/i.exec(text.trim());
  if (!match?.[1]) return null;
  const n = Number(match[1].replaceAll(',', ''));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
