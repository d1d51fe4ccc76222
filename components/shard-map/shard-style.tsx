import { CheckIcon, DotIcon, Loader2Icon, MinusIcon, RotateCcwIcon, XIcon, type LucideIcon } from 'lucide-react';
import type { ShardState } from '@/lib/view-model/shard-states';

/**
 * Each state has its own colour token (globals.css, colour-blind-safe hues) AND its own glyph, so a
 * cell reads without colour; the run-length summary says the same in words.
 */
export const SHARD_STATE_STYLE: Record<
  ShardState,
  { cell: string; swatch: string; Icon: LucideIcon; iconClass?: string }
> = {
  done: { cell: 'bg-state-done text-white', swatch: 'bg-state-done text-white', Icon: CheckIcon },
  running: {
    cell: 'bg-state-running text-white',
    swatch: 'bg-state-running text-white',
    Icon: Loader2Icon,
    iconClass: 'motion-safe:animate-spin',
  },
  rerun: {
    cell: 'bg-state-rerun/20 text-state-rerun ring-1 ring-inset ring-state-rerun',
    swatch: 'bg-state-rerun/20 text-state-rerun ring-1 ring-inset ring-state-rerun',
    Icon: RotateCcwIcon,
  },
  pending: {
    cell: 'bg-white text-state-pending ring-1 ring-inset ring-neutral-300',
    swatch: 'bg-white text-state-pending ring-1 ring-inset ring-neutral-300',
    Icon: DotIcon,
  },
  failed: { cell: 'bg-state-failed text-white', swatch: 'bg-state-failed text-white', Icon: XIcon },
  skipped: {
    cell: 'bg-state-cancelled/15 text-state-cancelled ring-1 ring-inset ring-state-cancelled/50',
    swatch: 'bg-state-cancelled/15 text-state-cancelled ring-1 ring-inset ring-state-cancelled/50',
    Icon: MinusIcon,
  },
};
