-- Shards stored as gzip members, so an export can be downloaded compressed (`.csv.gz`, `.ndjson.gz`) with an
-- exact Content-Length, byte ranges and If-Range, and takes less storage.
--
-- Contract:
-- * A shard's object in storage is `encoding` = 'gzip' (written from this migration on) or 'identity'
--   (written before: the plain bytes). A gzip object is one gzip member for an NDJSON shard, and two for a
--   CSV shard: the header row alone (`gzip_header_bytes` long), then the rows. Members concatenate into a
--   valid gzip file, so the compressed download is the first shard's object followed by every later
--   shard's object without its header member.
-- * `bytes`, `header_bytes`, `sha256` keep describing the plain bytes (what the plain download serves and
--   a re-run must reproduce); `gzip_bytes` and `gzip_sha256` describe the stored gzip object, which every
--   download verifies before use.
-- * `export_jobs.gzip_bytes_written` is the compressed file's exact size, kept with the other counters;
--   null while any written shard is stored plain (that file has no compressed form) or nothing is written.

alter table public.export_shards
  add column encoding text not null default 'identity' check (encoding in ('identity', 'gzip')),
  add column gzip_bytes bigint check (gzip_bytes > 0),
  add column gzip_header_bytes int check (gzip_header_bytes >= 0),
  add column gzip_sha256 text check (gzip_sha256 ~ '^[0-9a-f]{64}$'),
  add constraint export_shards_gzip_described check (
    (encoding = 'identity' and gzip_bytes is null and gzip_header_bytes is null and gzip_sha256 is null)
    or (encoding = 'gzip' and gzip_bytes is not null and gzip_header_bytes is not null and gzip_sha256 is not null)
  );

alter table public.export_jobs add column gzip_bytes_written bigint;

-- Counters on the job row, from the manifest (the truth), and the compact per-lane array; now with the
-- compressed file's size (the header member once, every other shard's header member skipped).
create or replace function private.refresh_export_progress(p_job_id uuid)
returns void
language sql
set search_path = ''
as $$
  with per_lane as (
    select lane, count(*)::int as shards, sum(rows)::bigint as rows, sum(bytes)::bigint as bytes,
           sum(header_bytes)::bigint as header_bytes, max(header_bytes)::bigint as one_header,
           count(*) filter (where encoding = 'gzip')::int as gzip_shards,
           sum(gzip_bytes)::bigint as gzip_bytes, sum(gzip_header_bytes)::bigint as gzip_header_bytes
    from public.export_shards where job_id = p_job_id and status = 'written'
    group by lane
  ), totals as (
    select coalesce(sum(shards), 0)::int as shards, coalesce(sum(rows), 0)::bigint as rows,
           -- Bytes of the downloadable file: the CSV header once, every other shard's header stripped.
           (coalesce(sum(bytes), 0) - coalesce(sum(header_bytes), 0) + coalesce(max(one_header), 0))::bigint as bytes,
           -- The same for the compressed file; it exists only when every written shard is stored as gzip.
           case when coalesce(sum(shards), 0) > 0 and sum(gzip_shards) = sum(shards)
                then (sum(gzip_bytes) - sum(gzip_header_bytes)
                      -- The header member the file keeps: the first shard's in file order.
                      + (select s.gzip_header_bytes from public.export_shards s
                         where s.job_id = p_job_id and s.status = 'written' order by s.lane, s.lane_seq limit 1))::bigint
           end as gzip_bytes
    from per_lane
  ), lanes as (
    select coalesce(jsonb_agg(jsonb_build_object(
             'lane', l.lane_no, 'status', l.status, 'shards', coalesce(p.shards, 0), 'rows', coalesce(p.rows, 0),
             'estimated', l.estimated_rows, 'attempts', l.attempts) order by l.lane_no), '[]'::jsonb) as summary
    from public.export_lanes l left join per_lane p on p.lane = l.lane_no
    where l.job_id = p_job_id
  )
  update public.export_jobs j
  set shards_written = t.shards, rows_written = t.rows, bytes_written = t.bytes, gzip_bytes_written = t.gzip_bytes,
      lanes = lanes.summary
  from totals t, lanes
  where j.id = p_job_id
    and (j.shards_written, j.rows_written, j.bytes_written, j.gzip_bytes_written, j.lanes)
        is distinct from (t.shards, t.rows, t.bytes, t.gzip_bytes, lanes.summary)
$$;

-- Record one shard whose object is already in storage (invariant 3): unchanged from the lanes migration
-- but for the stored object's encoding (gzip members or, from workers before it, plain bytes), recorded
-- with the object. A re-run still compares the plain rows and sha256 — those make the file
-- byte-identical; its gzip bytes may differ (another zlib) and are simply the new object's.
drop function public.record_export_shard(uuid, int, uuid, bigint, int, int, bigint, bigint, int, bigint, int, text, text, int, int, boolean);
create function public.record_export_shard(
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
  -- form's are p_bytes, p_header_bytes, p_sha256). Defaults: an identity object, as before.
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
  -- once per interval; a cleared failure is shown at once.
  if v_job.attempts > 0 then
    perform private.settle_export_job(p_job_id);
  elsif v_job.updated_at <= now() - make_interval(secs => p_progress_interval_ms / 1000.0) then
    perform private.refresh_export_progress(p_job_id);
  end if;
  return v_pass || jsonb_build_object('shard_no', v_shard_no,
                                      'heir_waiting', v_pass ->> 'outcome' = 'recorded' and v_lane.heir is not null);
end
$$;


do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.record_export_shard(uuid, int, uuid, bigint, int, int, bigint, bigint, int, bigint, int, text, text, int, int, boolean, text, bigint, int, text)',
    'private.refresh_export_progress(uuid)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
