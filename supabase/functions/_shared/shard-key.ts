import type { ExportFormat } from './export-format.ts';

/** The private bucket that holds every shard object. */
export const EXPORTS_BUCKET = 'exports';

export type ShardKeyInput = {
  organisationId: string;
  jobId: string;
  /** The lane that writes it and the shard's sequence number within the lane (both in the manifest). */
  lane: number;
  laneSeq: number;
  /** Lease generation of the invocation that writes it (recorded in the manifest). */
  generation: number;
  format: ExportFormat;
  /** How the object is stored: gzip members (`.gz`, what the worker writes) or plain (shards from before). */
  encoding?: 'identity' | 'gzip';
};

/**
 * Where a shard object lives: a pure function of job metadata, so nothing ever lists storage
 * (design invariant 2). The generation is part of the key: an invocation that lost its lease writes
 * to a key that no manifest row will point to, so it can never change what the download returns
 * (invariant 4) — and the next holder of the lane can compute, and remove, what a dead one may have
 * left. Sequence numbers are zero-padded so keys sort in file order for humans.
 */
export function shardStorageKey(input: ShardKeyInput): string {
  const seq = String(input.laneSeq).padStart(6, '0');
  return `${laneFolder(input.organisationId, input.jobId, input.lane)}/shard-${seq}.g${input.generation}.${input.format === 'csv' ? 'csv' : 'ndjson'}${input.encoding === 'gzip' ? '.gz' : ''}`;
}

/** The folder of a lane's shard objects: what a clean-up lists (once per lane, never to read data). */
export function laneFolder(organisationId: string, jobId: string, lane: number): string {
  return `${organisationId}/${jobId}/lane-${lane}`;
}
