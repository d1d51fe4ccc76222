import type { ExportJob, ExportShardFailure } from '@/lib/exports/types';
import { formatCount, formatDuration } from './format';
import { triedText } from './shard-tries';

/** What each error kind means to a person, as "Couldn't <verb> shard N: <cause>". */
const PLAIN: Record<string, { verb: string; cause: string }> = {
  storage_failed: { verb: 'save', cause: 'storage unavailable' },
  source_unavailable: { verb: 'read the records of', cause: 'the search index (Typesense) did not answer' },
  source_rejected: { verb: 'read the records of', cause: 'the search index refused the query' },
  bad_filter: { verb: 'read the records of', cause: 'the filter is not valid for this collection' },
  schema_mismatch: { verb: 'write', cause: 'the records no longer have the fields this export needs' },
  source_changed: { verb: 're-write', cause: 'the records changed since the first run' },
  database_failed: { verb: 'record', cause: 'the database did not answer' },
  killed: { verb: 'finish', cause: 'the worker stopped without a word (killed or out of time)' },
  lease_lost: { verb: 'finish', cause: 'another worker took the job over' },
  internal: { verb: 'write', cause: 'an unexpected error in the worker' },
};

const SOMETHING_WENT_WRONG = { verb: 'write', cause: 'something went wrong' };

/** An error kind's verb and cause in plain words; an unknown or missing kind reads "something went wrong". */
export function plainErrorKind(kind: string | null | undefined): { verb: string; cause: string } {
  return (kind && PLAIN[kind]) || SOMETHING_WENT_WRONG;
}

/**
 * An error kind as one sentence, for where no shard is known (the bell, a toast, support's error groups):
 * "Couldn't save a shard: storage unavailable". Unknown or missing kinds still read as a sentence.
 */
export function plainErrorSentence(kind: string | null): string {
  const plain = plainErrorKind(kind);
  return `Couldn't ${plain.verb} a shard: ${plain.cause}`;
}

/** Just the cause, for a tally of errors: "storage unavailable". */
export const plainErrorCause = (kind: string | null | undefined): string => plainErrorKind(kind).cause;

export type PlainError = {
  /** One sentence a person can act on: "Couldn't save shard 38: storage unavailable — tried 5 times over 72 s". */
  headline: string;
  /** The shard it concerns, if known. */
  shardNo: number | null;
  /** The raw error, for support (folded by default). */
  raw: string | null;
  kind: string | null;
};

/**
 * The job's current error in plain words, first; the raw text kept for the folded details. `shardNo`
 * is the shard the map shows as failed; `failures` (this run's failed attempts at it, `triesAt`) give
 * "tried N times over T".
 */
export function plainError(
  job: Pick<ExportJob, 'last_error' | 'last_error_kind'>,
  shardNo: number | null,
  failures: ReadonlyArray<Pick<ExportShardFailure, 'failed_at' | 'error_kind'>>,
  /** The lane that failed, when the shard has no job-wide number yet (a tail shard of a multi-lane job). */
  lane: number | null = null,
): PlainError | null {
  if (!job.last_error && !job.last_error_kind) return null;
  const kind = job.last_error_kind;
  const plain = plainErrorKind(kind);
  const target =
    shardNo !== null ? `shard ${formatCount(shardNo)}` : lane !== null ? `the next shard of lane ${lane}` : 'a shard';
  let tried = failures.length > 0 ? ` — ${triedText(failures.length)}` : '';
  if (failures.length > 1) {
    const times = failures.map((f) => Date.parse(f.failed_at)).sort((a, b) => a - b);
    tried += ` over ${formatDuration(times.at(-1)! - times[0]!)}`;
  }
  return {
    headline: `Couldn't ${plain.verb} ${target}: ${plain.cause}${tried}`,
    shardNo,
    raw: job.last_error,
    kind,
  };
}
