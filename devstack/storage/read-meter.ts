import type { ServerResponse } from 'node:http';

/** Object reads whose request path contains a text, as the storage server itself saw them. */
export type ReadSummary = {
  /** GETs of objects received (counted on arrival, before any injected latency). */
  started: number;
  /** Still being answered. */
  inFlight: number;
  /** Answered with the whole body. */
  completed: number;
  /** Ended because the client went away before the last byte (or before the answer). */
  aborted: number;
  /** Body bytes read from disk and handed to the socket. */
  bytes: number;
};

type Read = { path: string; bytes: number; outcome: 'in_flight' | 'completed' | 'aborted' };

/** Finished reads kept for summaries: enough for any test, bounded for a long `npm run dev`. */
const KEPT_READS = 10_000;

/**
 * Counts object reads on the server side, so a test can prove that a download which lost its client
 * stopped reading storage — rather than trusting what the reading client says it received
 * (`GET /_devstack/storage/reads?match=<job id>`).
 */
export class ObjectReadMeter {
  private readonly reads: Read[] = [];

  /** Starts counting one object GET; the returned function adds body bytes as they are sent. */
  track(path: string, res: ServerResponse): (bytes: number) => void {
    const read: Read = { path, bytes: 0, outcome: 'in_flight' };
    this.reads.push(read);
    if (this.reads.length > KEPT_READS) {
      const finished = this.reads.findIndex((r) => r.outcome !== 'in_flight');
      if (finished >= 0) this.reads.splice(finished, 1);
    }
    res.once('close', () => {
      read.outcome = res.writableFinished ? 'completed' : 'aborted';
    });
    return (bytes) => {
      read.bytes += bytes;
    };
  }

  summary(match: string): ReadSummary {
    const summary: ReadSummary = { started: 0, inFlight: 0, completed: 0, aborted: 0, bytes: 0 };
    for (const read of this.reads) {
      if (!read.path.includes(match)) continue;
      summary.started += 1;
      summary.bytes += read.bytes;
      if (read.outcome === 'in_flight') summary.inFlight += 1;
      else if (read.outcome === 'completed') summary.completed += 1;
      else summary.aborted += 1;
    }
    return summary;
  }
}
