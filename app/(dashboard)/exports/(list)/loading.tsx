import { Skeleton } from '@/components/ui/skeleton';

/** Stands in for the exports list while it loads. */
export default function ExportsLoading() {
  return (
    <div className="flex flex-col gap-4" role="status" aria-label="Loading exports">
      <Skeleton className="h-8 w-40" />
      <Skeleton className="h-9 w-80 max-w-full" />
      <div className="flex flex-col gap-1 rounded-lg border border-neutral-200 bg-white p-2">
        {Array.from({ length: 8 }, (_, i) => (
          <Skeleton key={i} className="h-9 w-full" />
        ))}
      </div>
      <span className="sr-only">Loading exports…</span>
    </div>
  );
}
