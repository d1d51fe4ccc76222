import { encodeShard } from '@/supabase/functions/_shared/export-format.ts';
import type { ActivityEntry } from './activity';

const COLUMNS = ['time', 'kind', 'run', 'lane', 'by', 'what happened', 'detail', 'technical detail'] as const;

/**
 * The activity rows as a CSV file, header first: RFC 4180 with CRLF, through the worker's own encoder, with its formula
 * guard on — a rename is free text, and a name starting with "=" must not run in a spreadsheet.
 */
export function activityCsv(entries: readonly ActivityEntry[], personLabel: (actor: string | null) => string): string {
  const rows = entries.map((e) => ({
    time: new Date(e.at).toISOString(),
    kind: e.kind,
    run: e.run,
    lane: e.lane,
    by: personLabel(e.actor),
    'what happened': e.title,
    detail: e.detail,
    'technical detail': e.technical,
  }));
  // The header row comes first, as in every shard the worker writes.
  const { bytes } = encodeShard(rows, { format: 'csv', fields: COLUMNS, neutraliseFormulas: true });
  return new TextDecoder().decode(bytes);
}

/** "activity-q4-blog-audit.csv": the export's name as a file name a person recognises. */
export function activityCsvFileName(exportName: string): string {
  const slug = exportName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `activity-${slug || 'export'}.csv`;
}
