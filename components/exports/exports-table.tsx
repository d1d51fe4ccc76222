'use client';

import { useQuery } from '@tanstack/react-query';
import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  getFilteredRowModel,
  getSortedRowModel,
  useReactTable,
  type CellContext,
  type SortingState,
} from '@tanstack/react-table';
import { format } from 'date-fns';
import { ArrowDownIcon, ArrowUpDownIcon, ArrowUpIcon, PlusIcon, SearchIcon } from 'lucide-react';
import Link from 'next/link';
import { parseAsArrayOf, parseAsString, parseAsStringLiteral, useQueryStates } from 'nuqs';
import { useMemo, useRef } from 'react';
import { liveness } from '@/lib/realtime/liveness';
import { useNow } from '@/components/hooks/use-now';
import { useOnline } from '@/components/hooks/use-online';
import { Button } from '@/components/ui/button';
import { ConnectionIndicator } from '@/components/ui/connection-indicator';
import { Input } from '@/components/ui/input';
import { Progress } from '@/components/ui/progress';
import { RelativeTime } from '@/components/ui/relative-time';
import type { StartPermission } from '@/lib/exports/start-permission';
import type { ExportJob } from '@/lib/exports/types';
import { exportsQueryOptions } from '@/lib/queries/exports-query';
import { useExportListSubscription } from '@/lib/realtime/use-export-list-subscription';
import { cn } from '@/lib/utils';
import { formatBytes, formatCount, formatDuration } from '@/lib/view-model/format';
import {
  JOB_STATUS_LABEL,
  jobDurationMs,
  jobProgress,
  jobStatusKey,
  type JobStatusKey,
} from '@/lib/view-model/job-status';
import { requesterLabel } from '@/lib/view-model/requester';
import { ExpiryNote } from '@/components/retention/expiry-note';
import { ExportStatusBadge } from './export-status-badge';
import { startRefusalText } from './start-refusal';
import { useListShortcuts } from './use-list-shortcuts';

const STATUS_FILTERS = [
  'awaiting_approval',
  'queued',
  'running',
  'cancelling',
  'retrying',
  'completed',
  'failed',
  'cancelled',
  'expired',
] as const;
const SORTABLE = ['created', 'status', 'progress', 'rows', 'size', 'duration', 'source'] as const;
type SortId = (typeof SORTABLE)[number];

/** The URL holds filters and sort, so a filtered view can be shared or reloaded (nuqs). */
const urlState = {
  status: parseAsArrayOf(parseAsStringLiteral(STATUS_FILTERS)).withDefault([]),
  q: parseAsString.withDefault(''),
  sort: parseAsStringLiteral(SORTABLE).withDefault('created'),
  dir: parseAsStringLiteral(['asc', 'desc'] as const).withDefault('desc'),
};

const column = createColumnHelper<ExportJob>();

/**
 * Least widths of the columns whose content changes live, so the table does not jump as jobs move; each
 * holds its widest content ("Cancelling" with its icon, "123,456 of ~200,000"). The export's name takes
 * what is left and truncates (SOURCE_CELL).
 */
const COLUMN_WIDTH: Record<string, string> = {
  status: 'min-w-32',
  progress: 'min-w-44',
  rows: 'min-w-44',
  size: 'min-w-24',
  duration: 'min-w-28',
};

/**
 * `max-w-0` keeps the name's full length out of the table's width: in an automatic table layout a cell's
 * nowrap text sets its column's least width, so a long name made the table 26 px wider than its box at
 * every desktop width, the Created column clipped. Capped at 0 and given the rest (`w-full`), the column
 * takes the space the others leave and the name truncates.
 */
const SOURCE_CELL = 'w-full max-w-0';

/*
 * The columns whose cells depend only on the export live at module scope. TanStack's flexRender renders
 * a column's `cell` as a React component, so a cell function made anew on a render is a new component
 * type, and React replaces its DOM: the focused row link would lose focus at every clock tick while an
 * export runs (the duration column is rebuilt each second). Only the accessors that read the clock or the
 * signed-in user are rebuilt; their cells stay the same functions.
 */
const nameColumn = column.accessor((j) => j.name, {
  id: 'source',
  header: 'Export',
  cell: ({ row: { original: j } }) => (
    <div className="flex max-w-md min-w-0 flex-col">
      <Link
        href={`/exports/${j.id}`}
        className="truncate font-medium text-blue-800 hover:underline"
        title={j.name}
        data-row-link
      >
        {j.name}
        <span className="sr-only"> export, {format(new Date(j.created_at), 'd MMM yyyy HH:mm:ss')}</span>
      </Link>
      {/* One line however narrow the column: only the filter gives way (a wrapped line made rows 60 px). */}
      <span className="flex min-w-0 items-center gap-1.5 text-xs whitespace-nowrap text-neutral-600">
        <span className="shrink-0">{j.collection}</span>
        <span className="shrink-0 uppercase">· {j.format}</span>
        <span className="min-w-0 truncate" title={j.filter ?? undefined}>
          · {j.filter ?? 'all records'}
        </span>
        <span className="shrink-0 font-mono">· {j.id.slice(0, 8)}</span>
      </span>
    </div>
  ),
});

const statusColumn = column.accessor((j) => jobStatusKey(j), {
  id: 'status',
  header: 'Status',
  filterFn: (row, _id, value: JobStatusKey[]) => value.length === 0 || value.includes(jobStatusKey(row.original)),
  cell: ({ row: { original: j } }) => <ExportStatusBadge job={j} />,
});

const progressColumn = column.accessor((j) => jobProgress(j).fraction, {
  id: 'progress',
  header: 'Progress',
  cell: ({ row: { original: j } }) => {
    const p = jobProgress(j);
    return (
      <div className="flex w-40 items-center gap-2">
        <Progress
          value={p.done}
          max={Math.max(1, p.expected)}
          aria-label={`Progress of ${j.name}`}
          getValueLabel={() => `${formatCount(p.done)} of ${formatCount(p.expected)} shards`}
          className="w-16"
          indicatorClassName={cn(
            j.status === 'completed' && 'bg-state-done',
            j.status === 'failed' && 'bg-state-failed',
            j.status === 'cancelled' && 'bg-state-cancelled',
          )}
        />
        <span className="text-xs whitespace-nowrap text-neutral-600 tabular-nums">
          {formatCount(p.done)}/{formatCount(p.expected)}
        </span>
      </div>
    );
  },
});

const rowsColumn = column.accessor('rows_written', {
  id: 'rows',
  header: 'Rows',
  cell: ({ row: { original: j } }) => (
    <span className="tabular-nums">
      {formatCount(j.rows_written)}
      {j.status !== 'completed' ? <span className="text-neutral-500"> of ~{formatCount(j.estimated_rows)}</span> : null}
    </span>
  ),
});

/**
 * The file's size and, under it, when it leaves storage ("Expires in 3 days"). One cell, not a column of
 * its own: a ninth column squeezed the export names into ellipses at 1280 px, and the name cell's two
 * lines leave room for a second line here without a taller row.
 */
const sizeColumn = column.accessor('bytes_written', {
  id: 'size',
  header: 'Size',
  cell: ({ row: { original: j } }) => (
    <div className="flex flex-col leading-tight">
      <span className="tabular-nums">{formatBytes(j.bytes_written)}</span>
      <ExpiryNote job={j} className="text-xs whitespace-nowrap text-neutral-600" />
    </div>
  ),
});

const createdColumn = column.accessor((j) => Date.parse(j.created_at), {
  id: 'created',
  header: 'Created',
  cell: ({ row: { original: j } }) => <RelativeTime iso={j.created_at} className="whitespace-nowrap" />,
});

function DurationCell({ getValue }: CellContext<ExportJob, number>) {
  const ms = getValue();
  return <span className="tabular-nums">{ms < 0 ? '—' : formatDuration(ms)}</span>;
}

/** Sorting by duration needs the running exports' durations at `now`. */
const durationColumn = (now: number) =>
  column.accessor((j) => jobDurationMs(j, now) ?? -1, { id: 'duration', header: 'Duration', cell: DurationCell });

/** Made once per signed-in user (see useMemo below), so its cell keeps its identity across renders. */
const requesterColumn = (currentUserId: string) =>
  column.accessor('requested_by', {
    id: 'requester',
    header: 'Requester',
    enableSorting: false,
    // The API has no requester names yet (only a user id): say whether it was you.
    cell: ({ getValue }) => <span title={getValue() ?? undefined}>{requesterLabel(getValue(), currentUserId)}</span>,
  });

export function ExportsTable({
  currentUserId,
  startPermission,
}: {
  currentUserId: string;
  /** A viewer gets a note saying why instead of "New export". */
  startPermission: StartPermission;
}) {
  const connection = useExportListSubscription();
  const online = useOnline();
  const { data: jobs, isPending, isError, error, refetch } = useQuery(exportsQueryOptions());
  const [{ status, q, sort, dir }, setUrl] = useQueryStates(urlState, { history: 'replace' });
  const anyRunning = jobs?.some((j) => j.status === 'running' || j.status === 'retrying') ?? false;
  const now = useNow(1000, anyRunning);
  const searchRef = useRef<HTMLInputElement>(null);
  useListShortcuts(searchRef);

  const requester = useMemo(() => requesterColumn(currentUserId), [currentUserId]);
  const columns = useMemo(
    () => [
      nameColumn,
      statusColumn,
      progressColumn,
      rowsColumn,
      sizeColumn,
      durationColumn(now),
      requester,
      createdColumn,
    ],
    [now, requester],
  );

  // Stable identities: TanStack Table recomputes its row models (and resets pagination, which
  // re-renders) whenever a state object changes identity, so fresh literals here would loop.
  const sorting = useMemo<SortingState>(() => [{ id: sort, desc: dir === 'desc' }], [sort, dir]);
  const columnFilters = useMemo(() => [{ id: 'status', value: status }], [status]);
  // The React Compiler is not enabled (next.config.ts); TanStack's hooks are used as documented.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({
    data: jobs ?? [],
    columns,
    // Rows keep their DOM (and a focused link) when exports are added or the order changes.
    getRowId: (j) => j.id,
    state: { sorting, columnFilters, globalFilter: q },
    autoResetPageIndex: false,
    onSortingChange: (updater) => {
      const next = typeof updater === 'function' ? updater(sorting) : updater;
      const first = next[0];
      void setUrl(first ? { sort: first.id as SortId, dir: first.desc ? 'desc' : 'asc' } : { sort: null, dir: null });
    },
    globalFilterFn: (row, _id, value: string) => {
      const needle = value.trim().toLowerCase();
      if (!needle) return true;
      const j = row.original;
      return [j.name, j.collection, j.filter ?? '', j.format, j.id].some((s) => s.toLowerCase().includes(needle));
    },
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    enableSortingRemoval: false,
  });

  const counts = useMemo(() => {
    const c = new Map<JobStatusKey, number>();
    for (const j of jobs ?? []) c.set(jobStatusKey(j), (c.get(jobStatusKey(j)) ?? 0) + 1);
    return c;
  }, [jobs]);
  const rows = table.getRowModel().rows;

  return (
    <section aria-labelledby="exports-heading" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex items-center gap-3">
          <h1 id="exports-heading" className="text-2xl font-semibold">
            Exports
          </h1>
          <ConnectionIndicator
            live={liveness({ channel: connection, online, expectingUpdates: false, lastUpdateAt: null, now: 0 })}
            now={0}
          />
        </div>
        {startPermission.canStart ? (
          <Button asChild>
            <Link href="/exports/new">
              <PlusIcon aria-hidden />
              New export
            </Link>
          </Button>
        ) : (
          <p className="max-w-xl text-sm text-neutral-600">{startRefusalText(startPermission.role)}</p>
        )}
      </div>

      <div className="flex flex-wrap items-center gap-3">
        <div className="relative w-full max-w-xs">
          <SearchIcon aria-hidden className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-neutral-500" />
          <Input
            ref={searchRef}
            type="search"
            aria-label="Search exports by name, source, filter or id"
            aria-keyshortcuts="/"
            placeholder="Search name, source, filter, id…  ( / )"
            className="pl-8"
            value={q}
            onChange={(e) => void setUrl({ q: e.target.value || null })}
          />
        </div>
        <div role="group" aria-label="Filter by status" className="flex flex-wrap gap-1.5">
          {STATUS_FILTERS.filter((s) => counts.has(s) || status.includes(s)).map((s) => {
            const on = status.includes(s);
            return (
              <Button
                key={s}
                variant={on ? 'default' : 'outline'}
                size="sm"
                aria-pressed={on}
                onClick={() => {
                  const next = on ? status.filter((x) => x !== s) : [...status, s];
                  void setUrl({ status: next.length ? next : null });
                }}
              >
                {JOB_STATUS_LABEL[s]}
                <span className="tabular-nums opacity-70">{counts.get(s) ?? 0}</span>
              </Button>
            );
          })}
          {status.length > 0 || q ? (
            <Button variant="ghost" size="sm" onClick={() => void setUrl({ status: null, q: null })}>
              Clear filters
            </Button>
          ) : null}
        </div>
      </div>

      {!isPending && !isError && rows.length > 0 ? (
        <ul className="flex flex-col gap-2 sm:hidden" aria-label="Exports">
          {rows.map(({ original: j }) => (
            <ExportCard key={j.id} job={j} />
          ))}
        </ul>
      ) : null}
      <div
        className={cn(
          'overflow-x-auto rounded-lg border border-neutral-200 bg-white',
          !isPending && !isError && rows.length > 0 && 'hidden sm:block',
        )}
      >
        <table className="w-full text-left text-sm">
          <caption className="sr-only">
            Exports of your organisation, {rows.length} shown, sorted by {sort}{' '}
            {dir === 'desc' ? 'descending' : 'ascending'}
          </caption>
          <thead className="border-b border-neutral-200 bg-neutral-50 text-xs text-neutral-600 uppercase">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      className={cn(
                        'px-4 py-2 font-medium whitespace-nowrap',
                        header.id === 'source' ? SOURCE_CELL : COLUMN_WIDTH[header.id],
                      )}
                      aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}
                    >
                      {header.column.getCanSort() ? (
                        <button
                          type="button"
                          onClick={header.column.getToggleSortingHandler()}
                          className="inline-flex items-center gap-1 uppercase hover:text-neutral-900 focus-visible:outline-2 focus-visible:outline-blue-600"
                        >
                          {flexRender(header.column.columnDef.header, header.getContext())}
                          {sorted === 'asc' ? (
                            <ArrowUpIcon aria-hidden className="size-3.5" />
                          ) : sorted === 'desc' ? (
                            <ArrowDownIcon aria-hidden className="size-3.5" />
                          ) : (
                            <ArrowUpDownIcon aria-hidden className="size-3.5 opacity-40" />
                          )}
                        </button>
                      ) : (
                        flexRender(header.column.columnDef.header, header.getContext())
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y divide-neutral-100">
            {isPending ? (
              <tr>
                <td colSpan={columns.length} className="px-4 py-10 text-center text-neutral-600">
                  Loading exports…
                </td>
              </tr>
            ) : isError ? (
              <tr>
                <td colSpan={columns.length} className="px-4 py-10 text-center">
                  <p role="alert" className="text-red-700">
                    Exports could not be loaded: {error.message}
                  </p>
                  <Button variant="outline" size="sm" className="mt-3" onClick={() => void refetch()}>
                    Try again
                  </Button>
                </td>
              </tr>
            ) : rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="px-4 py-10 text-center text-neutral-600">
                  {jobs.length > 0 ? (
                    'No exports match these filters.'
                  ) : (
                    <>
                      No exports yet.
                      {startPermission.canStart ? (
                        <>
                          {' '}
                          <Link href="/exports/new" className="text-blue-700 underline underline-offset-4">
                            Start your first export
                          </Link>
                          .
                        </>
                      ) : null}
                    </>
                  )}
                </td>
              </tr>
            ) : (
              rows.map((row) => (
                <tr key={row.id} className="h-11 focus-within:bg-neutral-50 hover:bg-neutral-50">
                  {row.getVisibleCells().map((cell) => (
                    <td
                      key={cell.id}
                      className={cn(
                        'px-4 py-1 align-middle',
                        cell.column.id === 'source' ? SOURCE_CELL : 'whitespace-nowrap',
                      )}
                    >
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** On a phone, each export is a card: name, status, progress and size without a sideways scroll. */
function ExportCard({ job: j }: { job: ExportJob }) {
  const p = jobProgress(j);
  return (
    <li className="flex flex-col gap-1.5 rounded-lg border border-neutral-200 bg-white p-3">
      <div className="flex items-start justify-between gap-2">
        <Link href={`/exports/${j.id}`} className="min-w-0 font-medium break-words text-blue-800" data-row-link>
          {j.name}
        </Link>
        <ExportStatusBadge job={j} />
      </div>
      <p className="text-xs text-neutral-600">
        {j.collection} · <span className="uppercase">{j.format}</span> · {j.filter ?? 'all records'} ·{' '}
        <RelativeTime iso={j.created_at} />
        {j.expires_at || j.expired_at ? (
          <>
            {' · '}
            <ExpiryNote job={j} />
          </>
        ) : null}
      </p>
      <div className="flex w-40 items-center gap-2">
        <Progress
          value={p.done}
          max={Math.max(1, p.expected)}
          aria-label={`Progress of ${j.name}`}
          getValueLabel={() => `${formatCount(p.done)} of ${formatCount(p.expected)} shards`}
          className="flex-1"
          indicatorClassName={cn(
            j.status === 'completed' && 'bg-state-done',
            j.status === 'failed' && 'bg-state-failed',
            j.status === 'cancelled' && 'bg-state-cancelled',
          )}
        />
        <span className="text-xs text-neutral-600 tabular-nums">
          {formatCount(j.rows_written)} rows · {formatBytes(j.bytes_written)}
        </span>
      </div>
    </li>
  );
}
