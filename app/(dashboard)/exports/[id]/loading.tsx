import { Skeleton } from '@/components/ui/skeleton';

/** Stands in for the export page while its first snapshot loads: the same layout, so nothing jumps. */
export default function ExportLoading() {
  return (
    <div className="flex flex-col gap-6" role="status" aria-label="Loading the export">
      <Skeleton className="h-4 w-20" />
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="flex flex-col gap-2">
          <Skeleton className="h-8 w-80 max-w-full" />
          <Skeleton className="h-4 w-96 max-w-full" />
          <Skeleton className="h-4 w-64 max-w-full" />
        </div>
        <Skeleton className="h-9 w-48" />
      </div>
      <Skeleton className="h-3 w-full" />
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
        {Array.from({ length: 6 }, (_, i) => (
          <Skeleton key={i} className="h-20" />
        ))}
      </div>
      <Skeleton className="h-40 w-full" />
      <span className="sr-only">Loading the export…</span>
    </div>
  );
}
