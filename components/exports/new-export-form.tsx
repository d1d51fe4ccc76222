'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  AlertTriangleIcon,
  ArrowDownIcon,
  ArrowUpIcon,
  CheckCircle2Icon,
  Loader2Icon,
  PlayIcon,
  XCircleIcon,
} from 'lucide-react';
import { useRouter } from 'next/navigation';
import { useEffect, useId } from 'react';
import { Controller, useForm, useWatch } from 'react-hook-form';
import { toast } from 'sonner';
import { z } from 'zod';
import { useDebouncedValue } from '@/components/hooks/use-debounced-value';
import { Button } from '@/components/ui/button';
import { Select, Textarea } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { ApiError, errorMessage } from '@/lib/queries/api-fetch';
import { startExportMutationOptions } from '@/lib/queries/export-mutations';
import { laneCount, MAX_LANES, RECORDS_PER_LANE } from '@/lib/sources/lane-count';
import { sourceEstimateQueryOptions, sourceQueryOptions, sourcesQueryOptions } from '@/lib/queries/sources-query';
import { cn } from '@/lib/utils';
import { formatCount } from '@/lib/view-model/format';
import { displayOrder, moveField, toggleField } from './field-order';

/** Records per shard: the worker's page size (export_jobs.page_size defaults to 250, Typesense's maximum). */
const PAGE_SIZE = 250;
/** A pause long enough that typing a filter costs one estimate, short enough to feel immediate. */
const ESTIMATE_DEBOUNCE_MS = 400;
const MAX_FILTER_LENGTH = 2000;

const newExportSchema = z.object({
  sourceId: z.string().min(1, { error: 'Choose a source.' }),
  format: z.enum(['csv', 'ndjson']),
  fields: z.array(z.string()).min(1, { error: 'Choose at least one column.' }),
  filter: z.string().max(MAX_FILTER_LENGTH, { error: `A filter may be at most ${MAX_FILTER_LENGTH} characters.` }),
  /** 'auto', or how many lanes to run in parallel (the select's value, a string). */
  lanes: z.string().regex(/^(auto|[1-8])$/, { error: `Choose Automatic or 1 to ${MAX_LANES} lanes.` }),
  /** CSV formula guard (OWASP CSV injection): text cells only; on unless the person turns it off. */
  neutraliseFormulas: z.boolean(),
});
type NewExportValues = z.infer<typeof newExportSchema>;

export function NewExportForm() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = {
    source: useId(),
    format: useId(),
    filter: useId(),
    fields: useId(),
    estimate: useId(),
    lanes: useId(),
    formulas: useId(),
  };

  const sources = useQuery(sourcesQueryOptions());
  // Record counts for the source picker: one small request per source (an organisation has a handful).
  const details = useQueries({ queries: (sources.data ?? []).map((s) => sourceQueryOptions(s.id)) });

  const form = useForm<NewExportValues>({
    resolver: zodResolver(newExportSchema),
    defaultValues: { sourceId: '', format: 'csv', fields: [], filter: '', lanes: 'auto', neutraliseFormulas: true },
  });
  const { control, register, handleSubmit, setValue, setError, formState } = form;
  const sourceId = useWatch({ control, name: 'sourceId' });
  const filter = useWatch({ control, name: 'filter' });
  const fields = useWatch({ control, name: 'fields' });
  const format = useWatch({ control, name: 'format' });

  // Pick the first source once they are loaded, and every column of a newly picked source.
  const firstSource = sources.data?.[0]?.id;
  useEffect(() => {
    if (!sourceId && firstSource) setValue('sourceId', firstSource);
  }, [firstSource, sourceId, setValue]);
  const source = useQuery({ ...sourceQueryOptions(sourceId), enabled: Boolean(sourceId) });
  const schemaFields = source.data?.fields.map((f) => f.name);
  useEffect(() => {
    if (schemaFields) setValue('fields', schemaFields, { shouldValidate: formState.isSubmitted });
    // Reset only when the schema itself changes (another source), not on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source.data]);

  const debouncedFilter = useDebouncedValue(filter.trim(), ESTIMATE_DEBOUNCE_MS);
  const estimate = useQuery({ ...sourceEstimateQueryOptions(sourceId, debouncedFilter), enabled: Boolean(sourceId) });
  const typing = debouncedFilter !== filter.trim();
  const estimateError =
    estimate.error instanceof ApiError && estimate.error.status === 422 ? estimate.error.message : null;
  const checking = typing || estimate.isFetching;

  const start = useMutation(startExportMutationOptions(queryClient));

  const onSubmit = handleSubmit(async (values) => {
    if (estimateError) {
      setError('filter', { message: estimateError });
      return;
    }
    try {
      const job = await start.mutateAsync({
        sourceId: values.sourceId,
        format: values.format,
        fields: values.fields,
        filter: values.filter.trim() || null,
        lanes: values.lanes === 'auto' ? undefined : Number(values.lanes),
        neutraliseFormulas: values.neutraliseFormulas,
      });
      toast.success(`Export of ${job.collection} started`, {
        description: `${formatCount(job.estimated_rows)} records expected.`,
      });
      router.push(`/exports/${job.id}`);
    } catch (error) {
      const field = error instanceof ApiError ? error.details?.field : undefined;
      if (field === 'filter' || field === 'fields') setError(field, { message: errorMessage(error) });
      else setError('root', { message: errorMessage(error) });
    }
  });

  const found = estimate.data?.found;
  const suggestions = estimate.data?.suggestions ?? null;
  const shards = found === undefined ? undefined : Math.ceil(found / PAGE_SIZE);
  const autoLanes = found === undefined ? undefined : laneCount(found, PAGE_SIZE);
  const allFields = schemaFields ?? [];
  // Why Start cannot be pressed, said next to it rather than left to guess.
  const blockedBecause = formState.isSubmitting
    ? 'Starting…'
    : !sourceId
      ? 'Choose a source first.'
      : checking
        ? 'Checking the filter…'
        : estimateError
          ? 'Fix the filter above to start.'
          : fields.length === 0
            ? 'Choose at least one column.'
            : null;

  return (
    <form
      onSubmit={onSubmit}
      noValidate
      className="mt-6 flex flex-col gap-6 rounded-lg border border-neutral-200 bg-white p-6"
    >
      <div className="grid gap-4 sm:grid-cols-[2fr_1fr]">
        <div className="flex flex-col gap-1">
          <Label htmlFor={ids.source}>Source</Label>
          <Select
            id={ids.source}
            {...register('sourceId')}
            disabled={sources.isPending}
            aria-invalid={formState.errors.sourceId ? true : undefined}
          >
            {sources.isPending ? <option value="">Loading sources…</option> : null}
            {sources.data?.length === 0 ? <option value="">No sources in your organisation</option> : null}
            {sources.data?.map((s, i) => {
              const records = details[i]?.data?.records;
              return (
                <option key={s.id} value={s.id}>
                  {s.label} ({s.collection}){records === undefined ? '' : ` — ${formatCount(records)} records`}
                </option>
              );
            })}
          </Select>
          {sources.isError ? (
            <p className="text-sm text-red-700">Sources could not be loaded: {sources.error.message}</p>
          ) : null}
          {formState.errors.sourceId ? (
            <p className="text-sm text-red-700">{formState.errors.sourceId.message}</p>
          ) : null}
        </div>
        <fieldset className="flex flex-col gap-1">
          <legend className="text-sm font-medium">Format</legend>
          <div className="flex gap-4 pt-2">
            {(['csv', 'ndjson'] as const).map((f) => (
              <label key={f} className="flex items-center gap-2 text-sm">
                <input type="radio" value={f} {...register('format')} className="size-4 accent-neutral-900" />
                {f === 'csv' ? 'CSV' : 'NDJSON'}
              </label>
            ))}
          </div>
        </fieldset>
      </div>

      <div className="flex flex-col gap-1">
        <Label htmlFor={ids.filter}>
          Filter <span className="font-normal text-neutral-600">(optional, Typesense filter_by syntax)</span>
        </Label>
        <Textarea
          id={ids.filter}
          rows={2}
          spellCheck={false}
          placeholder="e.g. state:=published && language:=en"
          aria-invalid={estimateError || formState.errors.filter ? true : undefined}
          aria-describedby={ids.estimate}
          {...register('filter')}
        />
        <div id={ids.estimate} aria-live="polite" className="min-h-5 text-sm">
          {!sourceId ? null : checking ? (
            <span className="inline-flex items-center gap-1.5 text-neutral-600">
              <Loader2Icon aria-hidden className="size-4 motion-safe:animate-spin" />
              Checking the filter…
            </span>
          ) : estimateError || formState.errors.filter ? (
            <span className="inline-flex items-center gap-1.5 text-red-700">
              <XCircleIcon aria-hidden className="size-4" />
              {estimateError ?? formState.errors.filter?.message}
            </span>
          ) : estimate.isError ? (
            <span className="text-red-700">The estimate is unavailable: {estimate.error.message}</span>
          ) : found === 0 ? (
            <span className="text-state-cancelled-ink flex flex-col gap-1" data-testid="zero-match">
              <span className="inline-flex items-center gap-1.5">
                <AlertTriangleIcon aria-hidden className="size-4" />
                {debouncedFilter
                  ? 'This filter matches no records: the export would be empty.'
                  : 'The source has no records.'}
              </span>
              {suggestions && suggestions.values.length > 0 ? (
                <span className="flex flex-wrap items-center gap-1.5 text-neutral-700">
                  Values of <code>{suggestions.field}</code> close to “{suggestions.tried}”:
                  {suggestions.values.map((v) => (
                    <Button
                      key={v.value}
                      variant="outline"
                      size="sm"
                      className="h-7"
                      onClick={() =>
                        setValue('filter', `${suggestions.field}:=${v.value}`, {
                          shouldDirty: true,
                          shouldValidate: true,
                        })
                      }
                    >
                      {v.value} <span className="text-neutral-600 tabular-nums">({formatCount(v.count)})</span>
                    </Button>
                  ))}
                </span>
              ) : null}
            </span>
          ) : found !== undefined ? (
            <span className="text-state-done-ink inline-flex items-center gap-1.5">
              <CheckCircle2Icon aria-hidden className="size-4" />
              {debouncedFilter ? 'Valid filter: matches' : 'All'} {formatCount(found)} records
            </span>
          ) : null}
        </div>
      </div>

      {format === 'csv' ? (
        <div className="flex flex-col gap-1">
          <label className="flex items-center gap-2 text-sm font-medium">
            <input
              type="checkbox"
              {...register('neutraliseFormulas')}
              aria-describedby={`${ids.formulas}-hint`}
              className="size-4 accent-neutral-900"
            />
            Protect against spreadsheet formulas
          </label>
          <p id={`${ids.formulas}-hint`} className="text-sm text-neutral-600">
            A text cell that starts with <code>=</code>, <code>+</code>, <code>-</code>, <code>@</code>, a tab or a
            carriage return gets a leading <code>&apos;</code>, so a spreadsheet shows it instead of running it as a
            formula. Numbers and true/false are written as they are (<code>-12.5</code> stays <code>-12.5</code>). Turn
            it off only when the file goes to a program, not a spreadsheet.
          </p>
        </div>
      ) : null}

      <div className="flex flex-col gap-1 sm:max-w-md">
        <Label htmlFor={ids.lanes}>Lanes</Label>
        <Select id={ids.lanes} {...register('lanes')} aria-describedby={`${ids.lanes}-hint`}>
          <option value="auto">
            Automatic
            {autoLanes === undefined ? '' : ` (${autoLanes} lane${autoLanes === 1 ? '' : 's'} for this size)`}
          </option>
          {Array.from({ length: MAX_LANES }, (_, i) => i + 1).map((n) => (
            <option key={n} value={n}>
              {n} {n === 1 ? 'lane' : 'lanes'}
            </option>
          ))}
        </Select>
        <p id={`${ids.lanes}-hint`} className="text-sm text-neutral-600">
          Parts of the key range exported side by side; the file is the same whatever the number. Automatic: one per{' '}
          {formatCount(RECORDS_PER_LANE)} records, at most {MAX_LANES}. Lanes beyond your organisation&apos;s share wait
          for a free slot.
        </p>
      </div>

      <fieldset
        className="flex flex-col gap-2"
        aria-describedby={formState.errors.fields ? `${ids.fields}-error` : undefined}
      >
        <div className="flex flex-wrap items-center justify-between gap-2">
          <legend className="text-sm font-medium">
            Columns{' '}
            <span className="font-normal text-neutral-600">
              ({fields.length} of {allFields.length}, in file order)
            </span>
          </legend>
          <div className="flex gap-2">
            <Button variant="outline" size="sm" onClick={() => setValue('fields', allFields, { shouldValidate: true })}>
              Select all
            </Button>
            <Button variant="outline" size="sm" onClick={() => setValue('fields', [], { shouldValidate: true })}>
              Clear
            </Button>
          </div>
        </div>
        {source.isPending && sourceId ? <p className="text-sm text-neutral-600">Loading the schema…</p> : null}
        {source.isError ? (
          <p className="text-sm text-red-700">The schema could not be loaded: {source.error.message}</p>
        ) : null}
        <Controller
          control={control}
          name="fields"
          render={({ field }) => (
            <ul className="grid max-h-80 gap-1 overflow-y-auto rounded-md border border-neutral-200 p-2 sm:grid-cols-2">
              {displayOrder(allFields, field.value).map((name) => {
                const on = field.value.includes(name);
                const type = source.data?.fields.find((f) => f.name === name)?.type;
                const position = field.value.indexOf(name);
                return (
                  <li
                    key={name}
                    className={cn(
                      'flex items-center gap-2 rounded px-2 py-1',
                      on ? 'bg-neutral-50' : 'text-neutral-600',
                    )}
                  >
                    <label className="flex min-w-0 flex-1 items-center gap-2 text-sm">
                      <input
                        type="checkbox"
                        checked={on}
                        onChange={(e) => field.onChange(toggleField(field.value, name, e.target.checked))}
                        className="size-4 accent-neutral-900"
                      />
                      <span className="truncate font-mono">{name}</span>
                      {type ? <span className="text-xs text-neutral-600">{type}</span> : null}
                    </label>
                    {on ? (
                      <span className="flex">
                        <Button
                          variant="ghost"
                          size="icon"
                          className="size-7"
                          aria-label={`Move ${name} earlier`}
                          disabled={position === 0}
                          onClick={() => field.onChange(moveField(field.value, name, -1))}
                        >
                          <ArrowUpIcon aria-hidden />
                        </Button>
                        <Button
                          variant="ghost"
                          size="icon"
                          className="size-7"
                          aria-label={`Move ${name} later`}
                          disabled={position === field.value.length - 1}
                          onClick={() => field.onChange(moveField(field.value, name, 1))}
                        >
                          <ArrowDownIcon aria-hidden />
                        </Button>
                      </span>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}
        />
        {formState.errors.fields ? (
          <p id={`${ids.fields}-error`} className="text-sm text-red-700">
            {formState.errors.fields.message}
          </p>
        ) : null}
      </fieldset>

      <div className="flex flex-col gap-3 border-t border-neutral-200 pt-4 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-sm text-neutral-700" aria-live="polite">
          {found !== undefined && !checking && !estimateError ? (
            <>
              This export will write about <strong>{formatCount(found)} records</strong> in{' '}
              <strong>{formatCount(shards ?? 0)} shards</strong> of up to {PAGE_SIZE}.
            </>
          ) : estimateError ? (
            'No estimate while the filter has a problem: fix it above.'
          ) : (
            'The estimate appears once the filter is checked.'
          )}
        </p>
        <div className="flex flex-col items-start gap-1 sm:items-end">
          <Button
            type="submit"
            disabled={Boolean(blockedBecause)}
            aria-describedby={blockedBecause ? `${ids.estimate}-blocked` : undefined}
          >
            {formState.isSubmitting ? (
              <Loader2Icon aria-hidden className="motion-safe:animate-spin" />
            ) : (
              <PlayIcon aria-hidden />
            )}
            Start export
          </Button>
          {blockedBecause ? (
            <p id={`${ids.estimate}-blocked`} className="text-sm text-neutral-700" data-testid="start-blocked">
              {blockedBecause}
            </p>
          ) : null}
        </div>
      </div>
      {formState.errors.root ? (
        <p role="alert" className="text-sm text-red-700">
          {formState.errors.root.message}
        </p>
      ) : null}
    </form>
  );
}
