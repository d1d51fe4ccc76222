'use client';

import { useState } from 'react';
import { addSample, estimateRate, type RateEstimate, type RateSample } from '@/components/export-progress/rate';
import type { ExportJob } from '@/lib/exports/types';

/**
 * Progress samples from the live job row (server timestamps, so network jitter does not distort the
 * rate), kept only while the job runs. Derived during render from the row's identity — no effect.
 */
export function useRate(job: Pick<ExportJob, 'status' | 'updated_at' | 'rows_written'>): RateEstimate {
  const [samples, setSamples] = useState<RateSample[]>([]);
  const [seen, setSeen] = useState<string | null>(null);
  const key = `${job.status}|${job.updated_at}|${job.rows_written}`;
  if (key !== seen) {
    setSeen(key);
    setSamples((prev) =>
      job.status === 'running' ? addSample(prev, { at: Date.parse(job.updated_at), rows: job.rows_written }) : [],
    );
  }
  return estimateRate(samples);
}
