'use client';

import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, XAxis, YAxis } from 'recharts';
import { ChartContainer, ChartTooltip, ChartTooltipContent, type ChartConfig } from '@/components/ui/chart';
import type { ExportShard } from '@/lib/exports/types';
import { formatCount, formatDuration } from '@/lib/view-model/format';
import { throughputRows, throughputSeries } from '@/lib/view-model/throughput';

/** Lane colours, each with a dash pattern too, so lanes are told apart without colour. */
const LANE_STYLE = [
  { color: 'var(--color-state-running)', dash: undefined },
  { color: 'var(--color-state-done)', dash: '6 3' },
  { color: 'var(--color-state-rerun)', dash: '2 3' },
  { color: 'var(--color-state-cancelled)', dash: '8 3 2 3' },
];

/** "1,200", "12k": short enough for the y axis. */
const shortCount = (n: number) => (n >= 10_000 ? `${formatCount(Math.round(n / 1000))}k` : formatCount(Math.round(n)));

/**
 * Records/s over time per lane, from the shards' write times (shadcn Chart over Recharts): time since
 * the start on the x axis, records/s on the y axis, each lane's value at a point on hover or keyboard
 * focus, a legend naming each line, and a text summary for screen readers.
 */
export function ThroughputChart({ shards }: { shards: ExportShard[] }) {
  const series = useMemo(() => throughputSeries(shards), [shards]);
  const rows = useMemo(() => (series ? throughputRows(series) : []), [series]);
  if (!series) return null;
  const span = Math.max(1, series.to - series.from);
  const config: ChartConfig = Object.fromEntries(
    series.lanes.map((l, i) => [
      `lane${l.lane}`,
      { label: `Lane ${l.lane}`, color: LANE_STYLE[i % LANE_STYLE.length]!.color },
    ]),
  );
  const summary = series.lanes
    .map((l) => {
      const avg = l.points.reduce((s, p) => s + p.perSecond, 0) / l.points.length;
      return `lane ${l.lane}: ${formatCount(l.records)} records, about ${formatCount(Math.round(avg))} records/s`;
    })
    .join('; ');
  const atLabel = (seconds: unknown) =>
    typeof seconds === 'number' ? `${formatDuration(seconds * 1000)} after the start` : '';

  return (
    <section aria-labelledby="throughput-heading" className="flex flex-col gap-2">
      <h2 id="throughput-heading" className="text-base font-semibold">
        Throughput <span className="font-normal text-neutral-600">(records/s per lane)</span>
      </h2>
      <figure className="rounded-md border border-neutral-200 bg-white p-3">
        <div className="flex justify-between text-xs text-neutral-600 tabular-nums">
          <span>peak {formatCount(Math.round(series.peak))} records/s</span>
          <span>
            over {formatDuration(span)}, a point every {formatDuration(series.binMs)}
          </span>
        </div>
        <ChartContainer config={config} className="h-48 w-full">
          <LineChart data={rows} margin={{ top: 8, right: 12, bottom: 16, left: 8 }}>
            <CartesianGrid vertical={false} />
            <XAxis
              dataKey="seconds"
              type="number"
              domain={[0, span / 1000]}
              tickFormatter={(s: number) => formatDuration(s * 1000)}
              tickLine={false}
              minTickGap={24}
              label={{
                value: 'time since the start',
                position: 'insideBottom',
                offset: -12,
                className: 'fill-neutral-600',
              }}
            />
            <YAxis
              width={56}
              tickFormatter={shortCount}
              tickLine={false}
              axisLine={false}
              allowDecimals={false}
              label={{
                value: 'records/s',
                angle: -90,
                position: 'insideLeft',
                offset: 4,
                className: 'fill-neutral-600',
              }}
            />
            <ChartTooltip
              cursor={{ stroke: 'var(--color-neutral-300)' }}
              content={({ active, payload, label }) => (
                <ChartTooltipContent
                  active={active}
                  payload={payload}
                  label={label}
                  formatLabel={atLabel}
                  formatValue={(v) => `${formatCount(Math.round(v))} records/s`}
                />
              )}
            />
            {series.lanes.map((l, i) => (
              <Line
                key={l.lane}
                dataKey={`lane${l.lane}`}
                name={`Lane ${l.lane}`}
                type="linear"
                stroke={`var(--color-lane${l.lane})`}
                strokeWidth={2}
                strokeDasharray={LANE_STYLE[i % LANE_STYLE.length]!.dash}
                dot={false}
                isAnimationActive={false}
                connectNulls={false}
              />
            ))}
          </LineChart>
        </ChartContainer>
        <figcaption className="sr-only">
          Throughput over {formatDuration(span)}, peak {formatCount(Math.round(series.peak))} records/s; {summary}.
        </figcaption>
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
                    stroke={style.color}
                    strokeWidth={2}
                    strokeDasharray={style.dash}
                  />
                </svg>
                Lane {l.lane} · {formatCount(l.records)} records
              </li>
            );
          })}
        </ul>
      </figure>
    </section>
  );
}
