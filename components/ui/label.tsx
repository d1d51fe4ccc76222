import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

/** Callers pass `htmlFor` or wrap the control. */
export function Label({ className, ...props }: ComponentProps<'label'>) {
  return <label className={cn('text-sm font-medium text-neutral-900', className)} {...props} />;
}
