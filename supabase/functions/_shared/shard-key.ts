import type { ExportFormat } from './export-format.ts';

/** The private bucket that holds every shard object. */
export const EXPORTS_BUCKET = 'exports';

export type ShardKeyInput = {
  organisationId: string;
  jobId: string;
  shardNo: number;
  /** Lease generation of the invocation that writes it (recorded in the manifest). */
  generation: number;
  format: ExportFormat;
};

/**
 * Where a shard object lives: a pure function of job metadata, so nothing ever lists storage
 * (design invariant 2). The generation is part of the key: an invocation that lost its lease writes
 * to a key that no manifest row will point to, so it can never change what the download returns
 * (invariant 4). Shard numbers are zero-padded so keys sort in shard order for humans.
 */
export function shardStorageKey(input: ShardKeyInput): string {
  const shard = String(input.shardNo).padStart(6, '0');
  return `${input.organisationId}/${input.jobId}/shard-${shard}.g${input.generation}.${input.format === 'csv' ? 'csv' : 'ndjson'}`;
}
