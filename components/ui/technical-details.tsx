import type { ReactNode } from 'react';
import { cn } from '@/lib/utils';

/**
 * The raw detail behind a plain sentence, folded under "Technical details": one click away for support,
 * never in the way of the sentence a person acts on.
 */
export function TechnicalDetails({
  className,
  summaryClassName,
  children,
}: {
  className?: string;
  summaryClassName?: string;
  children: ReactNode;
}) {
  return (
    <details className={className}>
      <summary
        className={cn('w-fit cursor-pointer text-neutral-700 underline-offset-2 hover:underline', summaryClassName)}
      >
        Technical details
      </summary>
      {children}
    </details>
  );
}
