'use client';

import { Progress } from '@/components/ui/progress';
import type { ExportLaneProgress } from '@/lib/exports/types';
import { cn } from '@/lib/utils';
import { laneBands } from '@/lib/view-model/lane-bands-model';

const BAR_COLOUR: Record<ExportLaneProgress['status'], string> = {
  queued: 'bg-state-pending',
  running: 'bg-state-running',
  retrying: 'bg-state-rerun',
  completed: 'bg-state-done',
  failed: 'bg-state-failed',
  cancelled: 'bg-state-cancelled',
};

/**
 * One band per lane above the shard map: how far each part of the key range has got, in words and as
 * a bar. Eight lanes are eight lines whatever the number of shards, so the view stays readable at
 * 8 × 2,500 shards; the map below shows every shard.
 */
export function LaneBands({ lanes }: { lanes: readonly ExportLaneProgress[] }) {
  if (lanes.length <= 1) return null;
  return (
    <ul aria-label="Lanes" className="grid gap-1.5 sm:grid-cols-2" data-testid="lane-bands">
      {laneBands(lanes).map((band) => (
        <li key={band.lane} className="flex flex-col gap-0.5">
          <span className="text-xs text-neutral-700 tabular-nums">{band.label}</span>
          <Progress
            value={band.rows}
            max={Math.max(1, band.of)}
            aria-label={`Lane ${band.lane}`}
            getValueLabel={() => band.label}
            indicatorClassName={cn(BAR_COLOUR[band.status])}
          />
        </li>
      ))}
    </ul>
  );
}
