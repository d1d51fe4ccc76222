'use client';

import { useMemo } from 'react';
import type { ExportShard } from '@/lib/exports/types';
import { formatCount, formatDuration } from '@/lib/view-model/format';
import { throughputSeries } from '@/lib/view-model/throughput';

/** Lane colours, each with a dash pattern too, so lanes are told apart without colour. */
const LANE_STYLE = [
  { stroke: 'var(--color-state-running)', dash: undefined },
  { stroke: 'var(--color-state-done)', dash: '6 3' },
  { stroke: 'var(--color-state-rerun)', dash: '2 3' },
  { stroke: 'var(--color-state-cancelled)', dash: '8 3 2 3' },
];

const W = 600;
const H = 140;
const PAD = { left: 8, right: 8, top: 10, bottom: 10 };

/**
 * Records/s over time per lane, from the shards' write times: a small line chart (SVG, no chart library
 * needed for this), with a text summary for screen readers and a legend that names each lane's line.
 */
export function ThroughputChart({ shards }: { shards: ExportShard[] }) {
  const series = useMemo(() => throughputSeries(shards), [shards]);
  if (!series) return null;
  const span = Math.max(1, series.to - series.from);
  const x = (at: number) => PAD.left + ((at - series.from) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / Math.max(1, series.peak)) * (H - PAD.top - PAD.bottom);
  const summary = series.lanes
    .map((l) => {
      const avg = l.points.reduce((s, p) => s + p.perSecond, 0) / l.points.length;
      return `lane ${l.lane}: ${formatCount(l.records)} records, about ${formatCount(Math.round(avg))} records/s`;
    })
    .join('; ');
  return (
    <section aria-labelledby="throughput-heading" className="flex flex-col gap-2">
      <h2 id="throughput-heading" className="text-base font-semibold">
        Throughput <span className="font-normal text-neutral-600">(records/s per lane)</span>
      </h2>
      <div className="rounded-md border border-neutral-200 bg-white p-3">
        <div className="flex justify-between text-xs text-neutral-600 tabular-nums">
          <span>peak {formatCount(Math.round(series.peak))} records/s</span>
          <span>
            over {formatDuration(span)}, a point every {formatDuration(series.binMs)}
          </span>
        </div>
        <svg
          viewBox={`0 0 ${W} ${H}`}
          className="h-36 w-full"
          preserveAspectRatio="none"
          role="img"
          aria-label={`Throughput over ${formatDuration(span)}, peak ${formatCount(Math.round(series.peak))} records/s; ${summary}.`}
        >
          <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} stroke="var(--color-neutral-300)" />
          {series.lanes.map((l, i) => {
            const style = LANE_STYLE[i % LANE_STYLE.length]!;
            return (
              <polyline
                key={l.lane}
                fill="none"
                stroke={style.stroke}
                strokeWidth={2}
                strokeDasharray={style.dash}
                vectorEffect="non-scaling-stroke"
                points={l.points.map((p) => `${x(p.at)},${y(p.perSecond)}`).join(' ')}
              />
            );
          })}
        </svg>
        <ul className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs text-neutral-700" aria-hidden>
          {series.lanes.map((l, i) => {
            const style = LANE_STYLE[i % LANE_STYLE.length]!;
            return (
              <li key={l.lane} className="inline-flex items-center gap-1.5">
                <svg width="24" height="6" aria-hidden>
                  <line
                    x1="0"
                    x2="24"
                    y1="3"
                    y2="3"
                    stroke={style.stroke}
                    strokeWidth={2}
                    strokeDasharray={style.dash}
                  />
                </svg>
                Lane {l.lane} · {formatCount(l.records)} records
              </li>
            );
          })}
        </ul>
      </div>
    </section>
  );
}
