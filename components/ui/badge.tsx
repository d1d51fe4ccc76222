import { cva, type VariantProps } from 'class-variance-authority';
import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

export const badgeVariants = cva(
  'inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-medium whitespace-nowrap [&_svg]:size-3.5 [&_svg]:shrink-0',
  {
    variants: {
      tone: {
        neutral: 'border-neutral-300 bg-neutral-100 text-neutral-800',
        done: 'border-state-done/30 bg-state-done/10 text-state-done-ink',
        running: 'border-state-running/30 bg-state-running/10 text-state-running-ink',
        failed: 'border-state-failed/30 bg-state-failed/10 text-state-failed-ink',
        pending: 'border-state-pending/30 bg-state-pending/10 text-neutral-700',
        cancelled: 'border-state-cancelled/30 bg-state-cancelled/10 text-state-cancelled-ink',
      },
    },
    defaultVariants: { tone: 'neutral' },
  },
);

export function Badge({ className, tone, ...props }: ComponentProps<'span'> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ tone }), className)} {...props} />;
}
