'use client';

import { useState } from 'react';
import type { ExportJob, ExportShard } from '@/lib/exports/types';
import { initialLiveEta, observeLive, seedEta, type LiveEta } from '@/lib/view-model/eta';
import { samplesFromShards } from '@/lib/view-model/rate';

/**
 * The smoothed time left (lib/view-model/eta.ts) of a running export, fed by the live job row. The first
 * manifest read seeds it from the shards' write times, so after a reload it is there at once instead of
 * after 10 s of live samples. Derived during render from the row's identity, like useRate — no effect.
 */
export function useEta(
  job: Pick<ExportJob, 'status' | 'updated_at' | 'rows_written' | 'estimated_rows'>,
  shards: ReadonlyArray<Pick<ExportShard, 'written_at' | 'rows' | 'status'>> | undefined,
): [number, number] | null {
  const [state, setState] = useState<LiveEta>(initialLiveEta);
  const [seen, setSeen] = useState<string | null>(null);
  const key = `${job.status}|${job.updated_at}|${job.rows_written}|${shards ? 'manifest' : ''}`;
  if (key !== seen) {
    setSeen(key);
    setState((prev) => {
      if (job.status !== 'running') return initialLiveEta;
      const seeded = shards ? seedEta(prev, samplesFromShards(shards), job.estimated_rows) : prev;
      const sample = { at: Date.parse(job.updated_at), rows: job.rows_written };
      return observeLive(seeded, sample, Math.max(0, job.estimated_rows - job.rows_written));
    });
  }
  return state.eta.shown;
}
