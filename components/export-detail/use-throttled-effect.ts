'use client';

import { useEffect, useEffectEvent, useRef } from 'react';

/**
 * Runs `run` when `signal` changes, at most once per `intervalMs`, always ending on the latest change
 * (leading + trailing). Skips the first render: the query it refreshes has just been fetched.
 */
export function useThrottledEffect(signal: string, intervalMs: number, run: () => void) {
  const last = useRef(0);
  const first = useRef(true);
  const fire = useEffectEvent(() => {
    last.current = Date.now();
    run();
  });
  useEffect(() => {
    if (first.current) {
      first.current = false;
      last.current = Date.now();
      return;
    }
    const wait = intervalMs - (Date.now() - last.current);
    if (wait <= 0) {
      fire();
      return;
    }
    const id = setTimeout(fire, wait);
    return () => clearTimeout(id);
  }, [signal, intervalMs]);
}
