import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

/** One key as printed on a keyboard. */
export function Kbd({ className, ...props }: ComponentProps<'kbd'>) {
  return (
    <kbd
      className={cn(
        'inline-flex h-5 min-w-5 items-center justify-center rounded border border-neutral-300 bg-neutral-50 px-1 font-sans text-xs font-medium text-neutral-700',
        className,
      )}
      {...props}
    />
  );
}
