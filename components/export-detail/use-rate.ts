'use client';

import { useMemo, useState } from 'react';
import type { ExportJob, ExportShard } from '@/lib/exports/types';
import { addSample, estimateRate, samplesFromShards, type RateEstimate, type RateSample } from '@/lib/view-model/rate';

/**
 * Records/s from the server's record of shards (the manifest's write times), so the rate is
 * there at once after a reload; until the manifest has two shards in the window, from the live job
 * row's samples (server timestamps, so network jitter does not distort the rate). Derived during render
 * from the row's identity — no effect.
 */
export function useRate(
  job: Pick<ExportJob, 'status' | 'updated_at' | 'rows_written'>,
  shards: ReadonlyArray<Pick<ExportShard, 'written_at' | 'rows' | 'status'>> | undefined,
): RateEstimate {
  const [samples, setSamples] = useState<RateSample[]>([]);
  const [seen, setSeen] = useState<string | null>(null);
  const key = `${job.status}|${job.updated_at}|${job.rows_written}`;
  if (key !== seen) {
    setSeen(key);
    setSamples((prev) =>
      job.status === 'running' ? addSample(prev, { at: Date.parse(job.updated_at), rows: job.rows_written }) : [],
    );
  }
  const fromServer = useMemo(() => samplesFromShards(shards ?? []), [shards]);
  return estimateRate(fromServer.length >= 2 ? fromServer : samples);
}
