'use client';

import { useId, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { formatCount } from '@/lib/view-model/format';

/** "Go to shard #": opens a shard by number (what support is asked about), checked against the map. */
export function GoToShard({ total, onGo }: { total: number; onGo: (shardNo: number) => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  return (
    <form
      className="flex flex-col gap-1"
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(value.replace(/[,\s]/g, ''));
        if (!Number.isInteger(n) || n < 1 || n > total) {
          setError(total === 0 ? 'No shards yet.' : `Enter a shard number from 1 to ${formatCount(total)}.`);
          return;
        }
        setError(null);
        onGo(n);
      }}
    >
      <div className="flex items-center gap-2">
        <label htmlFor={id} className="text-sm whitespace-nowrap text-neutral-700">
          Go to shard
        </label>
        <Input
          id={id}
          inputMode="numeric"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="#"
          className="h-8 w-24 tabular-nums"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        <Button type="submit" variant="outline" size="sm">
          Go
        </Button>
      </div>
      {error ? (
        <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
          {error}
        </p>
      ) : null}
    </form>
  );
}
