import { checkUserFilter, composePageFilter } from './export-filter.ts';
import { asExportError, ExportError } from './export-error.ts';
import { contentTypes, encodeShard, type ExportDocument, type ExportFormat } from './export-format.ts';
import { sha256Hex } from './sha256.ts';
import { shardStorageKey } from './shard-key.ts';

/**
 * One invocation of the export worker: claim the job, write shards page by page (holding one page at a
 * time), and stop when the job is done, cancelled, or the time budget is spent (then hand off).
 * Everything it touches is injected, so the same loop runs in the Edge Function and in tests.
 */

export type SearchPageRequest = {
  collection: string;
  filterBy: string;
  sortBy: string;
  perPage: number;
  includeFields: readonly string[];
};

export type WorkerPorts = {
  /** Calls a state-machine function; throws ExportError('database_failed') when the call fails. */
  rpc: <T>(fn: string, args: Record<string, unknown>) => Promise<T>;
  /** One keyset page; throws ExportError (source_unavailable / source_rejected). */
  searchPage: (request: SearchPageRequest) => Promise<ExportDocument[]>;
  /** Writes a shard object (upsert); throws ExportError('storage_failed'). */
  uploadShard: (key: string, bytes: Uint8Array, contentType: string) => Promise<void>;
  /** Milliseconds of CPU this process has used (hosted functions allow 2 s of CPU per request). */
  cpuMs: () => number;
  /** Current V8 heap use; sampled after every shard and recorded as the invocation's peak. */
  heapUsedBytes: () => number;
  log: (message: string) => void;
};

export type WorkerLimits = {
  /** Hand off once this much wall time has passed (default 45 s, well inside the 150 s hosted limit). */
  timeBudgetMs: number;
  /** Hand off once this much CPU has been used (hosted: 2 s per request). */
  cpuBudgetMs: number;
  /** Lease = budget + this grace; a killed invocation's job is claimable again when it runs out. */
  leaseGraceSeconds: number;
  /** Job-row progress is published at most this often, so Realtime traffic does not grow with throughput. */
  progressIntervalMs: number;
};

export type InvocationOutcome = 'handoff' | 'completed' | 'cancelled' | 'declined' | 'lease_lost' | 'error';

export type InvocationResult = {
  outcome: InvocationOutcome;
  invocationId: string | null;
  shardsWritten: number;
  rowsWritten: number;
  /** Set when outcome is 'error'. */
  error?: ExportError;
  /** For 'error': whether the job will be retried (the sweep kicks it after the backoff). */
  retrying?: boolean;
};

type ClaimedJob = {
  id: string;
  organisation_id: string;
  collection: string;
  key_field: string;
  mandatory_filter: string | null;
  filter: string | null;
  fields: string[];
  format: ExportFormat;
  page_size: number;
  neutralise_formulas: boolean;
  tail_complete: boolean;
};

type Claim =
  | { claimed: false; reason: string; invocation_id?: string }
  | {
      claimed: true;
      invocation_id: string;
      generation: number;
      job: ClaimedJob;
      tail: { next_shard_no: number; after_key: number | null };
      reruns: Array<{ shard_no: number; key_after: number | null; key_last: number }>;
    };

type RecordOutcome = { outcome: 'recorded' | 'cancel_requested' | 'lease_lost' };

class StopSignal {
  constructor(readonly outcome: 'cancelled' | 'lease_lost') {}
}

/** The lease an invocation holds: every state-machine call after the claim carries it. */
export type LeaseArgs = { p_job_id: string; p_invocation_id: string; p_generation: number };

export async function runExportInvocation(
  jobId: string,
  ports: WorkerPorts,
  limits: WorkerLimits,
  onLease: (lease: LeaseArgs) => void = () => {},
): Promise<InvocationResult> {
  const startedAt = Date.now();
  const cpuAtStart = ports.cpuMs();
  const leaseSeconds = Math.ceil(limits.timeBudgetMs / 1000) + limits.leaseGraceSeconds;

  const claim = await ports.rpc<Claim>('claim_export_job', { p_job_id: jobId, p_lease_seconds: leaseSeconds });
  if (!claim.claimed) {
    ports.log(`job ${jobId}: not claimed (${claim.reason})`);
    return {
      outcome: claim.reason === 'cancelled' ? 'cancelled' : 'declined',
      invocationId: claim.invocation_id ?? null,
      shardsWritten: 0,
      rowsWritten: 0,
    };
  }

  const { job, generation, invocation_id: invocationId } = claim;
  const lease: LeaseArgs = { p_job_id: jobId, p_invocation_id: invocationId, p_generation: generation };
  onLease(lease);
  let shardsWritten = 0;
  let rowsWritten = 0;
  let lastPublishAt = 0;
  let peakHeapBytes = ports.heapUsedBytes();

  const end = async (outcome: InvocationOutcome, error?: ExportError) => {
    await ports
      .rpc('end_export_invocation', {
        p_invocation_id: invocationId,
        p_end_reason: outcome,
        p_cpu_ms: Math.round(ports.cpuMs() - cpuAtStart),
        p_wall_ms: Date.now() - startedAt,
        p_peak_heap_bytes: peakHeapBytes,
        p_error: error ? `${error.kind}: ${error.message}` : null,
      })
      .catch((e: unknown) => ports.log(`job ${jobId}: could not end invocation: ${String(e)}`));
  };

  const budgetSpent = () =>
    Date.now() - startedAt >= limits.timeBudgetMs || ports.cpuMs() - cpuAtStart >= limits.cpuBudgetMs;

  /** Fetch, encode, write, record one shard; drop the page. Returns the documents' count and last key. */
  const writeShard = async (shardNo: number, afterKey: number | null, lastKey: number | null) => {
    const shardStarted = Date.now();
    const documents = await ports.searchPage({
      collection: job.collection,
      filterBy: composePageFilter({
        keyField: job.key_field,
        mandatoryFilter: job.mandatory_filter,
        userFilter: job.filter,
        afterKey,
        lastKey,
      }),
      sortBy: `${job.key_field}:asc`,
      perPage: job.page_size,
      includeFields: job.fields.includes(job.key_field) ? job.fields : [...job.fields, job.key_field],
    });
    if (documents.length === 0) return { count: 0, lastKey: afterKey };

    const last = documents[documents.length - 1]?.[job.key_field];
    if (typeof last !== 'number' || !Number.isSafeInteger(last)) {
      throw new ExportError('schema_mismatch', `Record without a numeric ${job.key_field}: cannot page on it.`, false);
    }
    const encoded = encodeShard(documents, {
      format: job.format,
      fields: job.fields,
      neutraliseFormulas: job.neutralise_formulas,
    });
    const key = shardStorageKey({
      organisationId: job.organisation_id,
      jobId,
      shardNo,
      generation,
      format: job.format,
    });
    await ports.uploadShard(key, encoded.bytes, contentTypes[job.format]);

    const publish = Date.now() - lastPublishAt >= limits.progressIntervalMs;
    const recorded = await ports.rpc<RecordOutcome>('record_export_shard', {
      ...lease,
      p_shard_no: shardNo,
      p_key_after: afterKey,
      p_key_last: last,
      p_rows: encoded.rows,
      p_bytes: encoded.bytes.length,
      p_header_bytes: encoded.headerBytes,
      p_sha256: await sha256Hex(encoded.bytes),
      p_storage_key: key,
      p_duration_ms: Date.now() - shardStarted,
      p_publish_progress: publish,
    });
    if (recorded.outcome === 'cancel_requested') throw new StopSignal('cancelled');
    if (recorded.outcome === 'lease_lost') throw new StopSignal('lease_lost');
    if (publish) lastPublishAt = Date.now();
    // Sampled while this page's documents and bytes are still reachable: the invocation's high-water mark.
    peakHeapBytes = Math.max(peakHeapBytes, ports.heapUsedBytes());
    shardsWritten += 1;
    rowsWritten += encoded.rows;
    return { count: documents.length, lastKey: last };
  };

  const result = (outcome: InvocationOutcome, extra: Partial<InvocationResult> = {}): InvocationResult => ({
    outcome,
    invocationId,
    shardsWritten,
    rowsWritten,
    ...extra,
  });

  try {
    const filterCheck = job.filter ? checkUserFilter(job.filter) : ({ ok: true } as const);
    if (!filterCheck.ok) throw new ExportError('bad_filter', filterCheck.message, false);

    // Repairs first: each re-run reads exactly its shard's key range.
    for (const rerun of claim.reruns) {
      if (budgetSpent()) return await handOff();
      await writeShard(rerun.shard_no, rerun.key_after, rerun.key_last);
    }

    let shardNo = claim.tail.next_shard_no;
    let afterKey = claim.tail.after_key;
    while (!job.tail_complete) {
      if (budgetSpent()) return await handOff();
      const page = await writeShard(shardNo, afterKey, null);
      // A short page means the key range is exhausted: no need to ask for an empty one.
      if (page.count < job.page_size) break;
      shardNo += 1;
      afterKey = page.lastKey;
    }

    const finished = await ports.rpc<{ outcome: string; rows_written?: number; estimated_rows?: number }>(
      'finish_export_job',
      lease,
    );
    if (finished.outcome === 'lease_lost') {
      await end('lease_lost');
      return result('lease_lost');
    }
    ports.log(`job ${jobId}: completed, ${finished.rows_written} rows (estimate ${finished.estimated_rows})`);
    await end('completed');
    return result('completed');
  } catch (caught) {
    if (caught instanceof StopSignal) {
      if (caught.outcome === 'cancelled') await ports.rpc('acknowledge_export_cancel', lease);
      await end(caught.outcome);
      return result(caught.outcome);
    }
    const error = asExportError(caught);
    ports.log(`job ${jobId}: ${error.kind}: ${error.message}`);
    const failed = await ports
      .rpc<{ outcome: string }>('fail_export_job', {
        ...lease,
        p_error_kind: error.kind,
        p_message: error.message,
        p_retryable: error.retryable,
      })
      .catch((e: unknown) => {
        ports.log(`job ${jobId}: could not record the failure (the lease will expire): ${String(e)}`);
        return { outcome: 'unrecorded' };
      });
    await end('error', error);
    return result('error', { error, retrying: failed.outcome === 'retrying' });
  }

  async function handOff(): Promise<InvocationResult> {
    const released = await ports.rpc<boolean>('hand_off_export_job', lease);
    await end(released ? 'handoff' : 'lease_lost');
    return result(released ? 'handoff' : 'lease_lost');
  }
}
