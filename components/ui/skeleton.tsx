import type { ComponentProps } from 'react';
import { cn } from '@/lib/utils';

/** A grey block standing in for content while a page loads (pulses unless reduced motion is asked for). */
export function Skeleton({ className, ...props }: ComponentProps<'div'>) {
  return (
    <div aria-hidden className={cn('rounded-md bg-neutral-200 motion-safe:animate-pulse', className)} {...props} />
  );
}
