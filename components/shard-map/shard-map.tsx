'use client';

import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { cn } from '@/lib/utils';
import { SHARD_STATE_LABEL, stateAt, type ShardMapModel } from '@/lib/view-model/shard-states';
import { SHARD_STATE_STYLE } from './shard-style';
import { keyTarget, rowsPerPage } from './shard-map-keys';

const CELL = 18;
const GAP = 3;
/** Tall enough for ~15 rows (700+ shards at a glance), short enough to keep the counters in view. */
const MAX_HEIGHT = 320;

type Props = {
  model: ShardMapModel;
  /** Only these shard numbers (the legend's filter), or null for all. */
  visible: number[] | null;
  selected: number | null;
  onSelect: (shardNo: number) => void;
  /** One line of detail for the shard under the pointer or focus. */
  describe: (shardNo: number) => string;
  summaryId: string;
  /** No live updates: the states may have moved on (dimmed). */
  stale?: boolean;
  /** A shard to point at (a failed export's first failure): ringed, scrolled into view, the tab stop. */
  highlighted?: number | null;
};

/**
 * The shard map: one cell per shard, virtualised by rows (@tanstack/react-virtual), so 4,000 or 40,000
 * shards render only the ~20 rows in view. One tab stop (roving tabindex); arrows, Home/End and
 * PageUp/PageDown move; Enter opens the shard. The run-length summary (`summaryId`) is its text view.
 */
export function ShardMap({
  model,
  visible,
  selected,
  onSelect,
  describe,
  summaryId,
  stale = false,
  highlighted = null,
}: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  // The roving tab stop, remembered by shard number: under a filter the shards shift positions as the
  // export runs (pending ones leave the front), and the tab stop must stay on its shard. Where it was last
  // activated is the fallback when the shard leaves the filter.
  const [active, setActive] = useState({ shard: 1, index: 0 });
  const [hovered, setHovered] = useState<number | null>(null);
  const focusPending = useRef(false);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(entry?.contentRect.width ?? 0));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const count = visible ? visible.length : model.total;
  const cols = Math.max(1, Math.floor((width + GAP) / (CELL + GAP)));
  const rows = Math.ceil(count / cols);
  const shardAt = useCallback((index: number) => (visible ? (visible[index] ?? 0) : index + 1), [visible]);
  const indexOfShard = (no: number) => (visible ? visible.indexOf(no) : no >= 1 && no <= model.total ? no - 1 : -1);
  const activeAt = indexOfShard(active.shard);
  const activeIndex = activeAt >= 0 ? activeAt : Math.min(active.index, Math.max(0, count - 1));
  const activate = (index: number) => setActive({ shard: shardAt(index), index });

  // The React Compiler is not enabled (next.config.ts); TanStack's hooks are used as documented.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CELL + GAP,
    overscan: 4,
  });

  // Point at the open shard, else the highlighted one, once per shard: it becomes the tab stop and its
  // row scrolls into view — so "Go to shard", a deep link or a failure shows where it is, and focus can
  // return to it when its panel closes.
  const target = selected ?? highlighted;
  const [pointedAt, setPointedAt] = useState<number | null>(null);
  const targetIndex = target === null ? -1 : indexOfShard(target);
  if (target !== null && target !== pointedAt && targetIndex >= 0 && width > 0) {
    setPointedAt(target);
    setActive({ shard: target, index: targetIndex });
  }
  useEffect(() => {
    if (pointedAt === null || targetIndex < 0) return;
    virtualizer.scrollToIndex(Math.floor(targetIndex / cols), { align: 'center' });
    // Only when the shard pointed at changes, not on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pointedAt]);

  // Keyboard focus follows the active cell once the virtualiser has rendered its row.
  useEffect(() => {
    if (!focusPending.current) return;
    const el = scrollRef.current?.querySelector<HTMLButtonElement>(`[data-index="${activeIndex}"]`);
    if (el) {
      focusPending.current = false;
      el.focus({ preventScroll: true });
    }
  });

  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(count - 1, index));
    activate(next);
    focusPending.current = true;
    virtualizer.scrollToIndex(Math.floor(next / cols), { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    // The viewport's inner height (less its 8 px padding each side): a short map shows all its rows.
    const viewport = scrollRef.current ? scrollRef.current.clientHeight - 16 : MAX_HEIGHT;
    const pageRows = rowsPerPage(viewport, CELL + GAP);
    const target = keyTarget(event.key, event.ctrlKey, activeIndex, cols, pageRows, count);
    if (target === null) return;
    event.preventDefault();
    moveTo(target);
  };

  const detailShard = hovered ?? (count > 0 ? shardAt(activeIndex) : null);
  // Only the rows in view (and a few more) are drawn. When the active shard's row is not (a filter
  // cleared, say, put it thousands of cells further), the first drawn cell is the tab stop, so Tab never
  // skips the map; focusing it makes it the active one.
  const drawnRows = virtualizer.getVirtualItems();
  const activeDrawn = drawnRows.some((row) => row.index === Math.floor(activeIndex / cols));
  const tabStop = activeDrawn ? activeIndex : (drawnRows[0]?.index ?? 0) * cols;

  if (count === 0) {
    return (
      <p className="rounded-md border border-dashed border-neutral-300 px-4 py-8 text-center text-sm text-neutral-600">
        {model.total === 0
          ? 'No shards yet: the first one appears as soon as the worker writes it.'
          : 'No shards in the chosen states.'}
      </p>
    );
  }

  return (
    <div className="flex flex-col gap-2">
      <div
        ref={scrollRef}
        role="group"
        aria-label={`Shard map, ${count.toLocaleString('en-US')} shard${count === 1 ? '' : 's'}${visible ? ' in the chosen states' : ''}`}
        aria-describedby={summaryId}
        onKeyDown={onKeyDown}
        onMouseLeave={() => setHovered(null)}
        className={cn(
          'relative overflow-y-auto rounded-md border border-neutral-200 bg-neutral-50 p-2 transition-opacity',
          stale && 'opacity-60',
        )}
        data-stale={stale ? 'true' : undefined}
        style={{ maxHeight: MAX_HEIGHT }}
        data-testid="shard-map"
      >
        {/* Cells are children of one container, placed by their position and keyed by shard number (not
            grouped in row elements): a shard that moves to another row as the filtered list shifts keeps
            its button, and a focused one keeps focus. */}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {drawnRows.flatMap((row) => {
            const from = row.index * cols;
            const to = Math.min(count, from + cols);
            return Array.from({ length: to - from }, (_, k) => {
              const index = from + k;
              const no = shardAt(index);
              const state = stateAt(model, no);
              const style = SHARD_STATE_STYLE[state];
              return (
                <button
                  key={no}
                  type="button"
                  data-index={index}
                  data-shard={no}
                  data-state={state}
                  tabIndex={index === tabStop ? 0 : -1}
                  aria-label={`Shard ${no}: ${SHARD_STATE_LABEL[state]}${highlighted === no ? ' (first failure)' : ''}`}
                  data-highlighted={highlighted === no ? 'true' : undefined}
                  aria-current={selected === no ? 'true' : undefined}
                  title={`Shard ${no}: ${SHARD_STATE_LABEL[state]}`}
                  onClick={() => {
                    activate(index);
                    onSelect(no);
                  }}
                  onMouseEnter={() => setHovered(no)}
                  onFocus={() => activate(index)}
                  className={cn(
                    'absolute flex items-center justify-center rounded-[3px] focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-neutral-900',
                    style.cell,
                    selected === no && 'outline-2 outline-offset-1 outline-neutral-900',
                    highlighted === no && 'ring-state-failed ring-2 ring-offset-2',
                  )}
                  style={{ top: row.start, left: k * (CELL + GAP), width: CELL, height: CELL }}
                >
                  <style.Icon aria-hidden strokeWidth={3} className={cn('size-3', style.iconClass)} />
                </button>
              );
            });
          })}
        </div>
      </div>
      <p className="min-h-5 text-xs text-neutral-600 tabular-nums" aria-hidden>
        {detailShard ? describe(detailShard) : null}
      </p>
    </div>
  );
}
