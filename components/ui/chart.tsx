'use client';

import { createContext, useContext, type CSSProperties, type ReactNode } from 'react';
import { ResponsiveContainer, Tooltip } from 'recharts';
import { cn } from '@/lib/utils';

/** Each series by its data key: what it is called and its colour (a CSS value; theme variables switch it for dark). */
export type ChartConfig = Record<string, { label: string; color: string }>;

const ChartContext = createContext<ChartConfig | null>(null);

function useChartConfig(): ChartConfig {
  const config = useContext(ChartContext);
  if (!config) throw new Error('Chart parts must be inside <ChartContainer>');
  return config;
}

/**
 * Recharts in the dashboard's look (shadcn/ui's Chart pattern): sized by its box, each series' colour
 * exposed as `--color-<key>` so lines use `var(--color-lane1)`, axis text and grid in the neutral tokens.
 */
export function ChartContainer({
  config,
  className,
  children,
}: {
  config: ChartConfig;
  className?: string;
  children: ReactNode;
}) {
  const colours = Object.fromEntries(Object.entries(config).map(([key, c]) => [`--color-${key}`, c.color]));
  return (
    <ChartContext.Provider value={config}>
      <div
        data-slot="chart"
        style={colours as CSSProperties}
        className={cn(
          'text-xs [&_.recharts-cartesian-axis-tick_text]:fill-neutral-600 [&_.recharts-cartesian-grid_line]:stroke-neutral-200 [&_.recharts-surface]:outline-hidden',
          className,
        )}
      >
        <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 320, height: 160 }}>
          {children}
        </ResponsiveContainer>
      </div>
    </ChartContext.Provider>
  );
}

export const ChartTooltip = Tooltip;

type TooltipItem = { dataKey?: unknown; value?: unknown; color?: string };

/**
 * The values under the pointer (or the keyboard's point), one line a series: its swatch, its label and
 * its value as `formatValue` writes it, under `label` as `formatLabel` writes it.
 */
export function ChartTooltipContent({
  active,
  payload,
  label,
  formatLabel,
  formatValue,
}: {
  active?: boolean;
  payload?: readonly TooltipItem[];
  label?: unknown;
  formatLabel: (label: unknown) => string;
  formatValue: (value: number) => string;
}) {
  const config = useChartConfig();
  if (!active || !payload?.length) return null;
  return (
    <div className="grid min-w-40 gap-1.5 rounded-md border border-neutral-200 bg-white px-2.5 py-1.5 text-xs shadow-lg">
      <div className="font-medium text-neutral-900">{formatLabel(label)}</div>
      {payload.map((item) => {
        const key = String(item.dataKey);
        return typeof item.value === 'number' ? (
          <div key={key} className="flex items-center gap-2">
            <span aria-hidden className="size-2.5 shrink-0 rounded-[2px]" style={{ background: item.color }} />
            <span className="flex-1 text-neutral-600">{config[key]?.label ?? key}</span>
            <span className="font-medium text-neutral-900 tabular-nums">{formatValue(item.value)}</span>
          </div>
        ) : null;
      })}
    </div>
  );
}
