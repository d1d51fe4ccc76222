import type { CpuMeter } from '../cpu-meter.ts';
import { asExportError, ExportError } from '../export-error.ts';
import type { ClaimedJob, ClaimedLane, Rerun } from '../worker-rpc-results.ts';
import type { HandOffPolicy } from './hand-off-policy.ts';
import { fetchLanePage, prepareShard, readPage, type PageRead } from './lane-page.ts';
import type { WorkerClock, WorkerPorts } from './ports.ts';
import type { LaneStop, RecordAnswer, ShardWriter } from './shard-writer.ts';
import { firstTailPage, type ReadAhead } from './take-lease.ts';

/**
 * The lane's pages, written in order: first the re-runs of damaged shards (each reads exactly its
 * shard's key range and must reproduce it), then the tail from the lane's cursor.
 *
 * Within the tail three things overlap: page n+1 is fetched (and encoded as soon as its documents
 * arrive) while page n uploads, and page n−1's record runs beside page n's upload. So a page costs the
 * longest of its fetch, its upload and its record instead of their sum, and at most two pages of
 * documents are held. Records stay in lane order, each after its own upload; a stop a record brings
 * (cancel, baton passed, lane yielded, lease lost, source changed) is seen one upload later, and that
 * upload's object is removed, never recorded.
 */

/** How the pipeline ends: the lane's keys are all written, or it stops (see LaneStop). */
export type PipelineEnd = { kind: 'exhausted' } | LaneStop;

export type PagePipelineDeps = {
  ports: WorkerPorts;
  job: ClaimedJob;
  lane: ClaimedLane;
  reruns: readonly Rerun[];
  /** An heir's first page, read before it held the lease. */
  readAhead?: ReadAhead;
  writer: ShardWriter;
  policy: HandOffPolicy;
  meter: CpuMeter;
  clock: WorkerClock;
};

const budgetHandOff: LaneStop = { kind: 'hand_off', reason: { by: 'budget' } };

export async function runPagePipeline(deps: PagePipelineDeps): Promise<PipelineEnd> {
  try {
    const stop = await rerunDamagedShards(deps);
    if (stop) return stop;
  } catch (error) {
    return { kind: 'failed', error: asExportError(error) };
  }
  if (deps.lane.tail_complete) return { kind: 'exhausted' };
  return writeTail(deps);
}

/** Repairs first, one at a time: each must reproduce its shard (rows and sha256), else the source changed. */
async function rerunDamagedShards(deps: PagePipelineDeps): Promise<LaneStop | null> {
  const { ports, job, writer, policy, meter, clock } = deps;
  for (const rerun of deps.reruns) {
    if (policy.budgetSpent()) return budgetHandOff;
    const fetchStartedAt = clock.now();
    const page = await fetchLanePage(ports, job, rerun.key_after, rerun.key_last);
    if (page.lastKey !== rerun.key_last) return { kind: 'failed', error: sourceChanged(rerun, page.documents.length) };
    const shard = await prepareShard(job, page.documents, meter);
    if (shard.encoded.rows !== rerun.rows || shard.sha256 !== rerun.sha256) {
      return { kind: 'failed', error: sourceChanged(rerun, shard.encoded.rows) };
    }
    const place = { laneSeq: rerun.lane_seq, afterKey: rerun.key_after, lastKey: rerun.key_last, rerun };
    const answer = await writer.record(await writer.upload(shard, place), false, fetchStartedAt);
    if (answer.kind !== 'recorded') return answer;
    policy.maybeStartHeir();
  }
  return null;
}

/** The lane's tail, pipelined (see above), until its keys are exhausted, the budget is spent or a record stops it. */
async function writeTail(deps: PagePipelineDeps): Promise<PipelineEnd> {
  const { ports, job, lane, writer, policy, meter, clock } = deps;
  const fetchAfter = (afterKey: bigint | null) => fetchLanePage(ports, job, afterKey, lane.key_upper);
  let laneSeq = lane.next_seq;
  let afterKey = lane.cursor_key;
  let fetchStartedAt = clock.now();
  let next: PageRead | null = readPage(
    firstTailPage(deps.readAhead, afterKey, () => fetchAfter(afterKey)),
    job,
    meter,
  );
  const previous = new RecordInFlight();
  try {
    while (next) {
      const { fetched, shard } = next;
      const page = await fetched;
      next = null;
      if (page.lastKey === null) break;
      // A short page means the lane's key range is exhausted: no need to ask for an empty one.
      const more = page.documents.length === job.page_size;
      // The heir is waiting: this page is the last one; it carries the baton, and the heir is told at
      // once where it ends, to read its first page beside this one's write. Else keep one page ahead.
      const { passBaton, last } = policy.planPage();
      if (more && passBaton) policy.announceBaton(page.lastKey);
      const thisFetchStartedAt = fetchStartedAt;
      if (more && !last) {
        // The next page is read beside this page's encoding and write; at most two pages are held.
        fetchStartedAt = clock.now();
        next = readPage(fetchAfter(page.lastKey), job, meter);
      }
      const uploaded = await writer.upload(await shard, { laneSeq, afterKey, lastKey: page.lastKey });
      const stop = await previous.settle();
      if (stop) {
        // The lane stopped while this page uploaded: its object is referenced by nothing.
        await ports.removeObjects([uploaded.key]);
        return stop;
      }
      previous.start(writer.record(uploaded, passBaton, thisFetchStartedAt));
      laneSeq += 1;
      afterKey = page.lastKey;
      if (!more) break;
      policy.maybeStartHeir();
      if (!next) return (await previous.settle()) ?? budgetHandOff;
    }
    return (await previous.settle()) ?? { kind: 'exhausted' };
  } catch (error) {
    // A record still in flight is answered first: its stop (a cancel, say) outranks this page's failure.
    return (await previous.settle()) ?? { kind: 'failed', error: asExportError(error) };
  }
}

/**
 * The previous page's record, in flight while this page uploads: a page costs the longer of its upload
 * and the record before it instead of the two one after the other.
 */
class RecordInFlight {
  private recording: Promise<RecordAnswer> | null = null;

  start(recording: Promise<RecordAnswer>): void {
    // Its failure is seen where it is settled.
    recording.catch(() => {});
    this.recording = recording;
  }

  /** Waits for the record in flight, if any: null when the lane goes on, else why it stops. */
  async settle(): Promise<LaneStop | null> {
    const recording = this.recording;
    this.recording = null;
    if (!recording) return null;
    try {
      const answer = await recording;
      return answer.kind === 'recorded' ? null : answer;
    } catch (error) {
      return { kind: 'failed', error: asExportError(error) };
    }
  }
}

/** A re-run whose key range now holds other records than the shard it must reproduce. */
function sourceChanged(rerun: Rerun, rows: number): ExportError {
  const range = `keys after ${rerun.key_after ?? 'the start'} up to ${rerun.key_last}`;
  return new ExportError(
    'source_changed',
    `Shard ${rerun.shard_no} (${range}) was written with ${rerun.rows} rows; the source now has ${rows} rows there${
      rows === rerun.rows ? ' with different content' : ''
    }. Re-running it would mix two versions of the data in one file: start a new export instead.`,
    false,
  );
}
