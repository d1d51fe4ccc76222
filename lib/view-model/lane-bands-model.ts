import type { ExportLaneProgress } from '@/lib/exports/types';
import { triedText } from './shard-tries';

/** One band of the lane view: a lane's progress in words and as a fraction, for 1–8 lanes. */
export type LaneBand = {
  lane: number;
  status: ExportLaneProgress['status'];
  rows: number;
  /** What the bar measures against: the lane's estimate, or its rows once it is done. */
  of: number;
  label: string;
};

const STATUS_WORD: Record<ExportLaneProgress['status'], string> = {
  queued: 'waiting',
  running: 'writing',
  retrying: 'retrying',
  completed: 'done',
  failed: 'failed',
  cancelled: 'stopped',
};

export function laneBands(lanes: readonly ExportLaneProgress[]): LaneBand[] {
  return lanes.map((l) => {
    const of = l.status === 'completed' ? l.rows : Math.max(l.estimated, l.rows);
    // The lane's failed tries at the shard it is on: the count the failure banner and shard panel show.
    const attempts = l.attempts > 0 ? `, ${triedText(l.attempts)}` : '';
    return {
      lane: l.lane,
      status: l.status,
      rows: l.rows,
      of,
      label: `Lane ${l.lane}: ${l.rows.toLocaleString('en-US')} of ${of.toLocaleString('en-US')} records, ${STATUS_WORD[l.status]}${attempts}`,
    };
  });
}
