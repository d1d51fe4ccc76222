'use client';

import { useQuery } from '@tanstack/react-query';
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import Link from 'next/link';
import { ExpiryNote } from '@/components/retention/expiry-note';
import { storageUseQueryOptions, type StorageUse } from '@/lib/queries/organisation-settings';
import { formatBytes, formatCount } from '@/lib/view-model/format';
import { SettingsSection } from './settings-section';

type StoredExport = StorageUse['exports'][number];
const column = createColumnHelper<StoredExport>();

const columns = [
  column.accessor('name', {
    header: 'Export',
    cell: ({ row: { original: e } }) => (
      <Link href={`/exports/${e.id}`} className="break-words text-blue-800 underline-offset-4 hover:underline">
        {e.name}
      </Link>
    ),
  }),
  column.accessor('bytes', {
    header: 'Stored',
    cell: ({ getValue }) => <span className="whitespace-nowrap tabular-nums">{formatBytes(getValue())}</span>,
  }),
  column.display({
    id: 'expires',
    header: 'Files',
    cell: ({ row: { original: e } }) =>
      e.expires_at ? (
        <ExpiryNote job={{ ...e, expired_at: null }} className="whitespace-nowrap" />
      ) : (
        <span className="text-neutral-500">Running</span>
      ),
  }),
];

/** What the organisation's export files take in storage: the total, and each export's, largest first. */
export function StorageUseSection({ organisationId, initial }: { organisationId: string; initial: StorageUse }) {
  const { data } = useQuery(storageUseQueryOptions(organisationId, initial));
  // The React Compiler is not enabled (next.config.ts); TanStack's hooks are used as documented.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable({ data: data.exports, columns, getCoreRowModel: getCoreRowModel() });
  return (
    <SettingsSection
      id="storage-use-heading"
      title="Storage use"
      description={
        <>
          Export files take <strong className="text-neutral-900">{formatBytes(data.total_bytes)}</strong> (
          {formatCount(data.total_bytes)} bytes) across {formatCount(data.exports.length)} export
          {data.exports.length === 1 ? '' : 's'} whose files are kept.
        </>
      }
    >
      {data.exports.length > 0 ? (
        <div className="overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="sr-only">Storage per export, largest first</caption>
            <thead>
              {table.getHeaderGroups().map((group) => (
                <tr key={group.id} className="border-b border-neutral-200 text-left text-neutral-600">
                  {group.headers.map((header) => (
                    <th key={header.id} scope="col" className="py-2 pr-4 font-medium">
                      {flexRender(header.column.columnDef.header, header.getContext())}
                    </th>
                  ))}
                </tr>
              ))}
            </thead>
            <tbody>
              {table.getRowModel().rows.map((row) => (
                <tr key={row.id} className="border-b border-neutral-100 last:border-0">
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} className="py-2 pr-4 align-top">
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </SettingsSection>
  );
}
