'use client';

import { useState } from 'react';
import type { ExportJob, ExportShard } from '@/lib/exports/types';
import { etaFromSamples, initialEta, observeEta } from '@/lib/view-model/eta';
import { samplesFromShards } from '@/lib/view-model/rate';

/**
 * The smoothed time left (lib/view-model/eta.ts) of a running export, fed by the live job row; after a
 * reload, seeded from the manifest's write times so it does not start from nothing. Derived during render
 * from the row's identity, like useRate — no effect.
 */
export function useEta(
  job: Pick<ExportJob, 'status' | 'updated_at' | 'rows_written' | 'estimated_rows'>,
  shards: ReadonlyArray<Pick<ExportShard, 'written_at' | 'rows' | 'status'>> | undefined,
): [number, number] | null {
  const [state, setState] = useState(initialEta);
  const [seen, setSeen] = useState<string | null>(null);
  const key = `${job.status}|${job.updated_at}|${job.rows_written}`;
  if (key !== seen) {
    setSeen(key);
    setState((prev) => {
      if (job.status !== 'running') return initialEta;
      const base = prev.samples === 0 && shards ? etaFromSamples(samplesFromShards(shards), job.estimated_rows) : prev;
      const sample = { at: Date.parse(job.updated_at), rows: job.rows_written };
      return observeEta(base, sample, Math.max(0, job.estimated_rows - job.rows_written));
    });
  }
  return state.shown;
}
