'use client';

import { Button } from '@/components/ui/button';
import { cn } from '@/lib/utils';
import { sentenceCase } from '@/lib/view-model/format';
import { SHARD_STATE_LABEL, SHARD_STATES, type ShardMapModel, type ShardState } from '@/lib/view-model/shard-states';
import { SHARD_STATE_STYLE } from './shard-style';

/** Legend with counts; each entry toggles a filter of the map to that state (aria-pressed). */
export function ShardLegend({
  model,
  selected,
  onToggle,
  onClear,
}: {
  model: ShardMapModel;
  selected: readonly ShardState[];
  onToggle: (state: ShardState) => void;
  onClear: () => void;
}) {
  return (
    <div role="group" aria-label="Shard states: show only a state" className="flex flex-wrap items-center gap-1.5">
      {SHARD_STATES.filter((s) => model.counts[s] > 0 || selected.includes(s)).map((state) => {
        const style = SHARD_STATE_STYLE[state];
        const on = selected.includes(state);
        return (
          <Button
            key={state}
            variant="outline"
            size="sm"
            aria-pressed={on}
            onClick={() => onToggle(state)}
            className={cn('gap-1.5', on && 'border-neutral-900 bg-neutral-100')}
          >
            <span aria-hidden className={cn('flex size-3.5 items-center justify-center rounded-[3px]', style.swatch)}>
              <style.Icon strokeWidth={3} className="!size-2.5" />
            </span>
            <span>{sentenceCase(SHARD_STATE_LABEL[state])}</span>
            <span className="text-neutral-600 tabular-nums">{model.counts[state].toLocaleString('en-US')}</span>
          </Button>
        );
      })}
      {selected.length > 0 ? (
        <Button variant="ghost" size="sm" onClick={onClear}>
          Show all
        </Button>
      ) : null}
    </div>
  );
}
