import { checkFilterTokens, checkUserFilter, composePageFilter } from '@/supabase/functions/_shared/export-filter.ts';
import { AppError } from '@/lib/api/app-error';
import { classifyTypesenseError } from '@/supabase/functions/_shared/typesense-error.ts';
import type { ExportSource } from '@/lib/sources/types';
import type { TypesenseAccess } from '@/lib/typesense/client';

/**
 * How many records an export of `source` with `userFilter` would hold — Typesense's `found` — after
 * checking the filter: it must stay inside its parentheses, and the source must accept it (a bad
 * filter is a 400 from Typesense, passed on as a 422 with its message). The checks are the user's early
 * feedback; the search runs under the source's scoped key, which keeps it inside the organisation.
 */
export async function countMatching(
  typesense: TypesenseAccess,
  source: ExportSource,
  userFilter: string | null,
): Promise<number> {
  if (userFilter) {
    const check = checkUserFilter(userFilter);
    if (!check.ok) throw new AppError('unprocessable', check.message, { field: 'filter' });
    // Typesense would answer a bare "Filter expression is not valid." for more than 100 tokens.
    const tokens = checkFilterTokens({
      keyField: source.key_field,
      mandatoryFilter: source.mandatory_filter,
      userFilter,
    });
    if (!tokens.ok) throw new AppError('unprocessable', tokens.message, { field: 'filter' });
  }
  const filterBy = composePageFilter({ keyField: source.key_field, userFilter, afterKey: null });
  try {
    const result = await typesense
      .searchSource(source)
      .search({ q: '*', filter_by: filterBy || undefined, per_page: 1, include_fields: source.key_field });
    return result.found;
  } catch (error) {
    const failure = classifyTypesenseError(error);
    if (failure.kind === 'rejected') {
      throw new AppError('unprocessable', `The filter is not valid: ${failure.message}`, { field: 'filter' });
    }
    throw new AppError('upstream_unavailable', 'The search service is unavailable; try again in a moment.');
  }
}
