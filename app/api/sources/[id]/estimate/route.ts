import { z } from 'zod';
import { parseJsonBody } from '@/lib/api/parse-json-body';
import { parseUuidParam } from '@/lib/api/path-params';
import { handleRoute } from '@/lib/api/route-handler';
import { routeDeps } from '@/lib/api/server-deps';
import { withoutNul } from '@/lib/api/text-without-nul';
import { countMatching } from '@/lib/sources/count-matching';
import { getSourceOrThrow } from '@/lib/sources/get-source-or-throw';
import { suggestCloseValues } from '@/lib/sources/suggest-close-values';
import { MAX_USER_FILTER_LENGTH } from '@/supabase/functions/_shared/export-filter.ts';

type Ctx = { params: Promise<{ id: string }> };

const body = z
  .object({ filter: withoutNul(z.string().max(MAX_USER_FILTER_LENGTH), 'The filter').nullable().default(null) })
  .strict();

/**
 * Validates a filter as the user types and says how many records it matches (the export's estimate);
 * when none, the closest values of the filtered field (if the source can facet on it).
 */
export const POST = handleRoute<Ctx>(async (request, { params }) => {
  const id = parseUuidParam((await params).id, 'source id');
  const deps = await routeDeps(request);
  const { filter } = await parseJsonBody(request, body);
  const source = await getSourceOrThrow(deps.user.supabase, id);
  const userFilter = filter?.trim() || null;
  const found = await countMatching(deps.typesense, source, userFilter);
  // Nothing matches: say so before the export starts, with the closest values the field holds.
  const suggestions = found === 0 && userFilter ? await suggestCloseValues(deps.typesense, source, userFilter) : null;
  return Response.json({ found, suggestions });
});
