-- Coalesced progress is due by the wall clock, not by the transaction's start.
--
-- `record_export_shard` refreshes the job row's progress when the row was last written at least
-- `p_progress_interval_ms` ago, and compared `updated_at` with `now()` — the start of its own transaction.
-- A lane that waited for the job row's lock (behind other lanes recording at the same moment) then saw
-- an `updated_at` written by a transaction that started after its own: "later than now", so never due,
-- even with an interval of 0. Its shard stayed out of the job row until the next write, heartbeat or
-- sweep; with four lanes recording at once, the integration test saw the row one shard behind its lanes
-- (19 shards / 2,435 rows against 20 / 2,560) after every lane had recorded.
--
-- Contract: the refresh is due when the row's last write is at least the interval older than the moment
-- of the decision (`clock_timestamp()`, after the job row's lock is held), so time spent waiting for the
-- lock counts, and an interval of 0 refreshes on every shard. Everything else is as in
-- 20261206000400_export_state_machine.sql.

create or replace function public.record_export_shard(
  p_job_id uuid,
  p_lane_no int,
  p_invocation_id uuid,
  p_generation bigint,
  p_shard_no int,
  p_lane_seq int,
  p_key_after bigint,
  p_key_last bigint,
  p_rows int,
  p_bytes bigint,
  p_header_bytes int,
  p_sha256 text,
  p_storage_key text,
  p_duration_ms int,
  p_progress_interval_ms int,
  p_pass_to_heir boolean,
  -- The stored object's encoding and, for gzip, its size, header member size and sha256 (the plain
  -- form's are p_bytes, p_header_bytes, p_sha256). Defaults: an identity object.
  p_encoding text default 'identity',
  p_gzip_bytes bigint default null,
  p_gzip_header_bytes int default null,
  p_gzip_sha256 text default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_lane public.export_lanes;
  v_existing public.export_shards;
  v_shard_no int;
  v_pass jsonb := jsonb_build_object('outcome', 'recorded');
begin
  -- The job row lock orders shards of concurrent lanes (shard_no) and makes a committed cancel visible.
  v_job := private.lock_job_for_lane(p_job_id);
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_job.id is null or v_job.status in ('completed', 'failed', 'cancelled') then
    return jsonb_build_object('outcome', 'stopped');
  end if;
  if v_lane.job_id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  if v_job.cancel_requested_at is not null then
    return jsonb_build_object('outcome', 'cancel_requested');
  end if;

  if p_shard_no is not null then
    select * into v_existing from public.export_shards where job_id = p_job_id and shard_no = p_shard_no for update;
    if not found or v_existing.status <> 'rerun_requested' or v_existing.lane <> p_lane_no
       or v_existing.lane_seq <> p_lane_seq or v_existing.key_after is distinct from p_key_after
       or v_existing.key_last <> p_key_last then
      raise exception 'shard % of job % is not waiting for a re-run of keys (%, %] in lane %', p_shard_no, p_job_id,
        p_key_after, p_key_last, p_lane_no using errcode = 'P0001';
    end if;
    if v_existing.rows <> p_rows or v_existing.sha256 <> p_sha256 then
      return jsonb_build_object('outcome', 'source_changed', 'detail', format(
        'Shard %s (keys after %s up to %s) was written with %s rows; the source now has %s rows there%s. Re-running it would mix two versions of the data in one file: start a new export instead.',
        p_shard_no, coalesce(p_key_after::text, 'the start'), p_key_last, v_existing.rows, p_rows,
        case when v_existing.rows = p_rows then ' with different content' else '' end));
    end if;
    insert into public.export_shard_attempts
      (job_id, shard_no, attempt, rows, bytes, sha256, storage_key, invocation_id, written_at, replaced_because)
    values (p_job_id, p_shard_no, v_existing.attempt, v_existing.rows, v_existing.bytes, v_existing.sha256,
            v_existing.storage_key, v_existing.invocation_id, v_existing.written_at, v_existing.problem)
    on conflict do nothing;
    update public.export_shards
    set rows = p_rows, bytes = p_bytes, header_bytes = p_header_bytes, sha256 = p_sha256, storage_key = p_storage_key,
        encoding = p_encoding, gzip_bytes = p_gzip_bytes, gzip_header_bytes = p_gzip_header_bytes,
        gzip_sha256 = p_gzip_sha256,
        generation = p_generation, attempt = v_existing.attempt + 1, invocation_id = p_invocation_id,
        status = 'written', problem = null, written_at = now(), duration_ms = p_duration_ms
    where job_id = p_job_id and shard_no = p_shard_no;
    v_shard_no := p_shard_no;
  else
    if p_lane_seq <> v_lane.next_seq or p_key_after is distinct from coalesce(v_lane.cursor_key, v_lane.key_after)
       or (v_lane.key_upper is not null and p_key_last > v_lane.key_upper) then
      raise exception 'shard % of lane % of job % does not continue the lane (next %, cursor %, upper bound %)',
        p_lane_seq, p_lane_no, p_job_id, v_lane.next_seq, coalesce(v_lane.cursor_key, v_lane.key_after), v_lane.key_upper
        using errcode = 'P0001';
    end if;
    select coalesce(max(shard_no), 0) + 1 into v_shard_no from public.export_shards where job_id = p_job_id;
    insert into public.export_shards
      (job_id, shard_no, lane, lane_seq, key_after, key_last, rows, bytes, header_bytes, sha256, storage_key,
       encoding, gzip_bytes, gzip_header_bytes, gzip_sha256, generation, invocation_id, duration_ms)
    values (p_job_id, v_shard_no, p_lane_no, p_lane_seq, p_key_after, p_key_last, p_rows, p_bytes, p_header_bytes,
            p_sha256, p_storage_key, p_encoding, p_gzip_bytes, p_gzip_header_bytes, p_gzip_sha256, p_generation,
            p_invocation_id, p_duration_ms);
    update public.export_lanes set cursor_key = p_key_last, next_seq = next_seq + 1
    where job_id = p_job_id and lane_no = p_lane_no;
  end if;

  -- The heartbeat: a recorded shard renews the lease. A good page also clears the lane's failures.
  update public.export_lanes
  set lease_expires_at = now() + make_interval(secs => lease_seconds), last_heartbeat_at = now(),
      attempts = 0, last_error = null, last_error_kind = null
  where job_id = p_job_id and lane_no = p_lane_no
  returning * into v_lane;
  update public.export_invocations
  set shards_written = shards_written + 1, rows_written = rows_written + p_rows, last_heartbeat_at = now()
  where id = p_invocation_id;

  if p_pass_to_heir then
    v_pass := private.pass_lane(p_job_id, v_lane);
    if v_pass ->> 'outcome' = 'no_heir' then
      v_pass := jsonb_build_object('outcome', 'recorded');
    end if;
  end if;
  -- Coalesced per job (whatever the number of lanes): the job row, which Realtime sends, changes at most
  -- once per interval; a cleared failure is shown at once. Due by the clock, not by now(): after waiting
  -- for the job row's lock, the last write can be younger than this transaction's start.
  if v_job.attempts > 0 then
    perform private.settle_export_job(p_job_id);
  elsif v_job.updated_at <= clock_timestamp() - make_interval(secs => p_progress_interval_ms / 1000.0) then
    perform private.refresh_export_progress(p_job_id);
  end if;
  return v_pass || jsonb_build_object('shard_no', v_shard_no,
                                      'heir_waiting', v_pass ->> 'outcome' = 'recorded' and v_lane.heir is not null);
end
$$;
