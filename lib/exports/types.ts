/** Rows of the export tables as PostgREST returns them (as the migrations define them: supabase/schema.sql). */

/**
 * An int64 key: a number while it is a safe integer, exact decimal digits beyond 2^53 (the app's clients
 * never round one: exactJsonFetch in supabase/functions/_shared/exact-json.ts).
 */
type Int64 = number | string;

export type ExportStatus = 'queued' | 'running' | 'retrying' | 'completed' | 'failed' | 'cancelled';
export type ExportFormat = 'csv' | 'ndjson';

/** A lane's compact progress, as the job row carries it for Realtime. */
export type ExportLaneProgress = {
  lane: number;
  status: ExportStatus;
  shards: number;
  rows: number;
  estimated: number;
  attempts: number;
};

export type ExportJob = {
  id: string;
  /** What people call it: "<source> · <filter> · <UTC time>" unless renamed. */
  name: string;
  organisation_id: string;
  source_id: string;
  /** Null once the member who started it was deleted (the job stays: "former member"). */
  requested_by: string | null;
  collection: string;
  key_field: string;
  mandatory_filter: string | null;
  filter: string | null;
  fields: string[];
  format: ExportFormat;
  page_size: number;
  neutralise_formulas: boolean;
  status: ExportStatus;
  cancel_requested_at: string | null;
  estimated_rows: number;
  shards_written: number;
  rows_written: number;
  bytes_written: number;
  /** Exact size of the compressed (.gz) file; null when a written shard is stored plain (no such file). */
  gzip_bytes_written: number | null;
  tail_complete: boolean;
  /** Inner key bounds of the lanes (lane k holds keys in (bounds[k-1], bounds[k]]). */
  lane_bounds: Int64[];
  lane_count: number;
  lanes: ExportLaneProgress[];
  /** 1, then one more for every re-run. */
  run_no: number;
  budget_time_ms: number | null;
  budget_cpu_ms: number | null;
  attempts: number;
  max_attempts: number;
  next_retry_at: string | null;
  last_error: string | null;
  last_error_kind: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  /** When the files of this ended export are removed (the organisation's retention, or a pin if later). */
  expires_at: string | null;
  /** An admin's pin: keep the files at least until then. */
  kept_until: string | null;
  /** When the sweep removed the files; the manifest and history stay. */
  expired_at: string | null;
  /** pending: waits for an admin (its estimate is above the organisation's threshold); null: none needed. */
  approval: 'pending' | 'approved' | 'declined' | null;
  /** Why an admin declined it. */
  approval_reason: string | null;
};

export type ExportShard = {
  job_id: string;
  shard_no: number;
  /** The lane that wrote it and its place in the lane: the file is the shards in (lane, lane_seq) order. */
  lane: number;
  lane_seq: number;
  key_after: Int64 | null;
  key_last: Int64;
  rows: number;
  bytes: number;
  header_bytes: number;
  sha256: string;
  storage_key: string;
  /** How the object is stored: gzip members (bytes/sha256 above are the plain form's), or plain. */
  encoding: 'identity' | 'gzip';
  gzip_bytes: number | null;
  /** Length of the CSV header's own gzip member at the start of the object (0 for NDJSON). */
  gzip_header_bytes: number | null;
  gzip_sha256: string | null;
  generation: number;
  attempt: number;
  invocation_id: string;
  status: 'written' | 'rerun_requested';
  /** Why the shard needs (or needed) a re-run, in words; null once it is written again. */
  problem: string | null;
  /** What a download found wrong with the stored object; null when nothing is known. */
  problem_kind: 'missing' | 'size_mismatch' | 'checksum_mismatch' | null;
  problem_source: 'download' | 'verification' | 'support' | null;
  problem_at: string | null;
  written_at: string;
  duration_ms: number;
};

export type ExportShardAttempt = {
  job_id: string;
  shard_no: number;
  attempt: number;
  rows: number;
  bytes: number;
  sha256: string;
  storage_key: string;
  invocation_id: string;
  written_at: string;
  replaced_at: string;
  replaced_because: string | null;
};

export type ExportInvocation = {
  id: string;
  job_id: string;
  lane_no: number | null;
  generation: number | null;
  started_at: string;
  ended_at: string | null;
  shards_written: number;
  rows_written: number;
  /** When it last recorded a shard or renewed its lease: where a killed invocation really died. */
  last_heartbeat_at: string | null;
  end_reason: 'handoff' | 'completed' | 'cancelled' | 'error' | 'lease_lost' | 'killed' | 'declined' | 'stopped' | null;
  cpu_ms: number | null;
  wall_ms: number | null;
  peak_heap_bytes: number | null;
  error: string | null;
};

export type Notification = {
  id: string;
  user_id: string;
  organisation_id: string;
  /** The export it is about; null for a notification about a webhook endpoint. */
  job_id: string | null;
  /** The webhook endpoint a `webhook_disabled` notification is about. */
  webhook_endpoint_id: string | null;
  run_no: number;
  /** export_approval_requested: to each admin, for an export above the organisation's threshold. */
  kind: 'export_completed' | 'export_failed' | 'export_cancelled' | 'export_approval_requested' | 'webhook_disabled';
  title: string;
  /** The outcome's numbers; for a failure, its raw error (the details support reads). */
  body: string;
  /** For export_failed: the kind of error it failed on, which the dashboard puts into words. */
  error_kind: string | null;
  read_at: string | null;
  created_at: string;
};

/** A failed attempt at a shard (export_shard_failures): the shard is (lane, lane_seq) in the manifest. */
export type ExportShardFailure = {
  id: number;
  job_id: string;
  run_no: number;
  lane: number;
  lane_seq: number;
  invocation_id: string | null;
  /** The lane's attempt count after this failure, of `max_attempts`. */
  attempt: number;
  max_attempts: number;
  error_kind: string | null;
  error: string | null;
  /** What the lane did next: retry after `next_retry_at`, fail for good, or (a killed holder) queue at once. */
  outcome: 'retrying' | 'failed' | 'requeued';
  next_retry_at: string | null;
  failed_at: string;
};

/** Facts only people cause, and each run's outcome (export_events). */
export type ExportEvent = {
  id: number;
  job_id: string;
  run_no: number;
  kind:
    | 'cancel_requested'
    | 'rerun_requested'
    | 'completed'
    | 'failed'
    | 'cancelled'
    | 'renamed'
    | 'downloaded'
    | 'approval_requested'
    | 'approved'
    | 'declined'
    | 'kept'
    | 'expired';
  /** Who did it; null for the system (or a member since deleted), or a download through a share link. */
  actor: string | null;
  /** downloaded through a share link: which one. */
  share_link_id?: string | null;
  detail: {
    /** rerun_requested: shard numbers as [from, to] ranges, and whether the unwritten rest runs too. */
    shard_ranges?: Array<[number, number]>;
    tail?: boolean;
    /** Outcomes: what the run had written, and its error. */
    rows?: number;
    shards?: number;
    error_kind?: string | null;
    error?: string | null;
    /** renamed */
    from?: string;
    to?: string;
    /**
     * downloaded: the form, whether the file was partial, the byte range asked for ([first, last], null for
     * the whole file), the whole file's size, the bytes actually sent, whether the response completed or
     * was cut, and a share link's note. Downloads recorded before the audit carry only form, partial and
     * bytes (whole files, recorded as they started).
     */
    form?: string;
    partial?: boolean;
    range?: [number, number] | null;
    size?: number;
    bytes?: number;
    outcome?: 'completed' | 'cut';
    note?: string | null;
    /** downloaded with an API token: which one (a token acts for no person). */
    apiTokenId?: string;
    /** approval_requested: the estimate and the organisation's threshold it is above. */
    estimated_rows?: number;
    threshold?: number;
    /** declined */
    reason?: string;
    /** kept: until when (null: the pin was removed) */
    until?: string | null;
    /** expired */
    removed_objects?: number;
  };
  at: string;
};

/** A colleague, for "started by", "cancelled by" (public.organisation_members()). */
export type OrganisationMember = { user_id: string; email: string | null };
