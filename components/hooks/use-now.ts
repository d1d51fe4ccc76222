'use client';

import { useEffect, useState } from 'react';

/**
 * The current time, re-read every `intervalMs` while `enabled` — a clock for elapsed-time labels, not
 * a data poll. Starts at 0 on the server render so hydration cannot mismatch.
 */
export function useNow(intervalMs = 1000, enabled = true): number {
  const [now, setNow] = useState(0);
  useEffect(() => {
    // Read the clock once on mount even when not ticking, then tick only while enabled.
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    if (!enabled) return () => clearTimeout(first);
    const id = setInterval(tick, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(id);
    };
  }, [intervalMs, enabled]);
  return now;
}
