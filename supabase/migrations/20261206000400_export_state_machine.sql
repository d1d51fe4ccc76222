-- The export state machine: lanes, heartbeat leases, warm hand-offs and fair caps, as short SQL
-- functions, each one atomic, called by RPC with the service role (the worker, the API routes after they
-- have authorised the user, and the sweep). Users reach the two that are theirs to call, cancel and
-- re-run, through `cancel_export` / `rerun_export`, which check their role first.
--
-- A lane:
--   queued ──claim_export_lane──▶ running ──finish_export_lane──▶ completed
--   running ──record_export_shard / hand_off_export_lane with an heir waiting──▶ running (the heir's lease)
--   running ──hand_off_export_lane with no heir, or its lease ran out (below the attempt cap)──▶ queued
--   running ──fail_export_lane, retryable, below the attempt cap──▶ retrying ──backoff passed, claim──▶ running
--   running ──fail_export_lane, permanent or at the cap; or its lease ran out at the cap──▶ failed
--   running ──acknowledge_export_cancel──▶ cancelled   (a cancel stops lanes nobody is alive on at once)
--   a finished job's lanes ──request_export_rerun (missing or damaged shards, unwritten tail)──▶ queued
-- The job follows its lanes (settle_export_job): running while a lane holds a lease; failed as soon as a
-- lane fails; cancelled once a cancel is pending and no lane holds a live lease; completed when every
-- lane is, unless a cancel committed first.
--
-- Contract:
-- * Leases are heartbeats: a claim takes a short lease (the worker's BATON_WORKER_LEASE_SECONDS, 8 s by
--   default) that every recorded shard (and an idle heartbeat) renews, with a generation that only grows.
--   Every later call carries (lane, invocation, generation) and is refused once the lease is lost, which
--   is how a stale invocation is fenced off (invariant 4). A lease that runs out means its invocation
--   died: the next claim or the sweep marks it `killed` at its last heartbeat, counts an attempt on the
--   lane, and past the job's attempt cap fails the job once, naming the lane, the page and the reason.
-- * Warm hand-off: an invocation near the end of its budget starts its successor, which warms up
--   (`preview_export_heir`), registers as the lane's heir and waits inside `await_export_baton`; the
--   predecessor names the key its last page ends at as soon as it has fetched that page
--   (`announce_export_baton`), so the heir fetches and encodes the page after it while the last one is
--   still being written, and passes the lease to it in the same call that records its last shard. Reading
--   ahead has no side effect: nothing is written before the lease is held, so fencing is unchanged.
--   Nothing but the lane row changes hands, so the job row stays quiet.
-- * Caps: at most `private.export_settings.max_running_lanes` lanes hold a live lease at once, and at most
--   `max_running_lanes_per_org` of one organisation. Lanes beyond a cap wait; whoever frees a slot (a lane
--   finishing, failing or yielding) is told which waiting lanes to start, fewest-running organisation
--   first, then fewest-running job, then oldest job, so no tenant's small export waits behind another's
--   huge one. At a hand-off a lane yields its slot to a waiting lane whose organisation (or, within one
--   organisation, whose job) runs at least two lanes fewer.
-- * Exactly one terminal notification per outcome of each run (`run_no` grows with every re-run), decided
--   by a unique constraint. A cancel that committed before the last lane finished wins: a job with
--   `cancel_requested_at` set never ends `completed`.
-- * A re-run must reproduce its shard exactly (same rows and sha256); if the source changed under it, the
--   record is refused with `source_changed` and the worker fails the job for good, saying why.
-- * Finishing a lane also ends its finisher's invocation as 'completed', in the same transaction: the
--   holder removes the lane's unreferenced objects before its own end call, and an instance stopped in
--   that window must not leave an invocation "running" on a finished export (no lease is left for a sweep
--   to expire). The holder's own end call, when it comes, records its figures.
--
-- Every function here has a fixed, empty search_path and is executable by the service role only (the
-- user-facing `cancel_export` / `rerun_export` by signed-in users too).

-- ---- Progress and settling --------------------------------------------------------------------------

-- Counters on the job row, from the manifest (the truth), and the compact per-lane array; with the
-- compressed file's size (the header member once, every other shard's header member skipped).
create function private.refresh_export_progress(p_job_id uuid)
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

create function private.format_count(p_value bigint, p_one text, p_many text)
returns text
language sql
immutable
set search_path = ''
as $$
  select to_char(p_value, 'FM999,999,999,999,990') || ' ' || case when p_value = 1 then p_one else p_many end
$$;

-- Exactly one notification per job, run and outcome: the unique constraint decides, not a prior read. A
-- job whose requester was deleted notifies nobody. The title names the export, the body its numbers
-- ("66,769 rows in 1 shard") and its short id.
create function private.notify_export_outcome(p_job_id uuid, p_kind text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_title text;
  v_body text;
  v_written text;
begin
  select * into v_job from public.export_jobs where id = p_job_id;
  if v_job.requested_by is null then
    return;
  end if;
  v_written := private.format_count(v_job.rows_written, 'row', 'rows') || ' in '
    || private.format_count(v_job.shards_written, 'shard', 'shards');
  case p_kind
    when 'export_completed' then
      v_title := format('Export completed: %s', v_job.name);
      v_body := format('%s (%s).', v_written, upper(v_job.format));
    when 'export_failed' then
      v_title := format('Export failed: %s', v_job.name);
      v_body := coalesce(v_job.last_error, 'The export failed.');
    when 'export_cancelled' then
      v_title := format('Export cancelled: %s', v_job.name);
      v_body := format('%s written before the cancel.', v_written);
  end case;
  v_body := left(v_body, 1900) || format(' Export %s.', left(v_job.id::text, 8));
  insert into public.notifications (user_id, organisation_id, job_id, run_no, kind, title, body)
  values (v_job.requested_by, v_job.organisation_id, v_job.id, v_job.run_no, p_kind, left(v_title, 300), v_body)
  on conflict on constraint notifications_one_per_run_and_kind do nothing;
end
$$;

-- The job ends: every lane that has not completed stops (a live lease is revoked, which fences its
-- holder at its next call), counters are final, and the outcome is notified once.
create function private.finalise_export(p_job_id uuid, p_status text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  update public.export_lanes
  set status = case when status = 'failed' then 'failed' else 'cancelled' end,
      lease_owner = null, lease_expires_at = null, heir = null, next_retry_at = null,
      finished_at = coalesce(finished_at, now())
  where job_id = p_job_id and status not in ('completed', 'failed', 'cancelled');
  update public.export_jobs
  set status = p_status,
      finished_at = now(),
      next_retry_at = null,
      tail_complete = not exists (select 1 from public.export_lanes where job_id = p_job_id and not tail_complete)
  where id = p_job_id;
  perform private.refresh_export_progress(p_job_id);
  perform private.notify_export_outcome(
    p_job_id,
    case p_status when 'completed' then 'export_completed' when 'failed' then 'export_failed' else 'export_cancelled' end
  );
end
$$;

-- After any lane changes state, with the job row locked by the caller: derive the job's status, attempts
-- and last error from its lanes, and end the job when its lanes say so.
create function private.settle_export_job(p_job_id uuid)
returns text
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_failed public.export_lanes;
  v_live int;
  v_status text;
begin
  select * into v_job from public.export_jobs where id = p_job_id;
  if v_job.status in ('completed', 'failed', 'cancelled') then
    perform private.refresh_export_progress(p_job_id);
    return v_job.status;
  end if;

  select count(*) into v_live from public.export_lanes
  where job_id = p_job_id and lease_owner is not null and lease_expires_at >= now();
  select * into v_failed from public.export_lanes
  where job_id = p_job_id and status = 'failed' order by finished_at limit 1;

  v_status := case
    when v_failed.job_id is not null then 'failed'
    when v_job.cancel_requested_at is not null and v_live = 0 then 'cancelled'
    when not exists (select 1 from public.export_lanes where job_id = p_job_id and status <> 'completed') then
      -- Every lane finished; a cancel that committed before that still wins (finish refuses after one).
      case when v_job.cancel_requested_at is null then 'completed' else 'cancelled' end
    else null
  end;

  if v_failed.job_id is not null then
    update public.export_jobs
    set last_error = v_failed.last_error, last_error_kind = v_failed.last_error_kind, attempts = v_failed.attempts
    where id = p_job_id;
  end if;
  if v_status is not null then
    perform private.finalise_export(p_job_id, v_status);
    return v_status;
  end if;

  update public.export_jobs j
  set status = s.status,
      started_at = case when s.status = 'running' then coalesce(j.started_at, now()) else j.started_at end,
      attempts = s.attempts,
      next_retry_at = s.next_retry_at,
      last_error = s.last_error,
      last_error_kind = s.last_error_kind
  from (
    select case
             when bool_or(lease_owner is not null) then 'running'
             when bool_or(status = 'retrying') then 'retrying'
             else 'queued'
           end as status,
           max(attempts) as attempts,
           min(next_retry_at) filter (where status = 'retrying') as next_retry_at,
           (array_agg(last_error order by attempts desc) filter (where last_error is not null))[1] as last_error,
           (array_agg(last_error_kind order by attempts desc) filter (where last_error is not null))[1] as last_error_kind
    from public.export_lanes where job_id = p_job_id
  ) s
  where j.id = p_job_id
    and (j.status, j.attempts, j.next_retry_at, j.last_error, j.last_error_kind)
        is distinct from (s.status, s.attempts, s.next_retry_at, s.last_error, s.last_error_kind);
  perform private.refresh_export_progress(p_job_id);
  select status into v_status from public.export_jobs where id = p_job_id;
  return v_status;
end
$$;

-- Lanes whose lease ran out: their invocation died without a goodbye (killed at a limit, crashed). The
-- timeline shows it ended at its last heartbeat; the takeover counts as an attempt, and at the job's cap
-- the lane fails, which fails the job. Caller holds the job row lock.
create function private.reap_expired_lanes(p_job_id uuid)
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_lane public.export_lanes;
  v_max int;
  v_reason text;
  v_reaped int := 0;
begin
  select max_attempts into v_max from public.export_jobs where id = p_job_id;
  for v_lane in
    select * from public.export_lanes
    where job_id = p_job_id and lease_owner is not null and lease_expires_at < now()
    for update
  loop
    v_reaped := v_reaped + 1;
    update public.export_invocations
    set ended_at = coalesce(last_heartbeat_at, started_at), end_reason = 'killed',
        wall_ms = (extract(epoch from (coalesce(last_heartbeat_at, started_at) - started_at)) * 1000)::int,
        error = format('No heartbeat after %s: stopped without a goodbye (memory, CPU or wall-clock limit, or a crash).',
                       to_char(coalesce(last_heartbeat_at, started_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS "UTC"'))
    where id = v_lane.lease_owner and ended_at is null;
    v_reason := format('Lane %s: the invocation writing shard %s of the lane (keys after %s) stopped responding %s time(s) (last heartbeat %s): killed at a memory, CPU or wall-clock limit, or crashed.',
                       v_lane.lane_no, v_lane.next_seq, coalesce(coalesce(v_lane.cursor_key, v_lane.key_after)::text, 'the start'),
                       v_lane.attempts + 1,
                       to_char(v_lane.last_heartbeat_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'));
    update public.export_lanes
    set lease_owner = null, lease_expires_at = null, heir = null,
        dead_generations = dead_generations || lease_generation,
        dead_seqs = dead_seqs || next_seq,
        attempts = attempts + 1,
        last_error = v_reason, last_error_kind = 'killed',
        status = case when attempts + 1 >= v_max then 'failed' else 'queued' end,
        finished_at = case when attempts + 1 >= v_max then now() end,
        next_retry_at = null,
        kick_at = now()
    where job_id = p_job_id and lane_no = v_lane.lane_no;
  end loop;
  return v_reaped;
end
$$;

-- A cancel is pending: lanes nobody is alive on stop now (a dead holder is marked killed at its last
-- heartbeat; no attempt is counted, the lane is not coming back). Caller holds the job row lock.
create function private.cancel_idle_lanes(p_job_id uuid)
returns void
language plpgsql
set search_path = ''
as $$
begin
  update public.export_invocations i
  set ended_at = coalesce(i.last_heartbeat_at, i.started_at), end_reason = 'killed'
  from public.export_lanes l
  where l.job_id = p_job_id and l.lease_owner = i.id and l.lease_expires_at < now() and i.ended_at is null;
  update public.export_lanes
  set status = 'cancelled', lease_owner = null, lease_expires_at = null, heir = null, next_retry_at = null,
      finished_at = now()
  where job_id = p_job_id and status in ('queued', 'running', 'retrying')
    and (lease_owner is null or lease_expires_at < now());
end
$$;

-- ---- Scheduling -------------------------------------------------------------------------------------

-- Lanes that wait to run, most deserving first: the organisation running the fewest lanes, then the job
-- running the fewest, then the oldest job. `fits` says whether it can start now under both caps, filling
-- the free slots in that order.
create function private.waiting_lanes()
returns table (job_id uuid, lane_no smallint, organisation_id uuid, org_running int, job_running int, fits boolean)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_settings private.export_settings;
  v_global int;
  v_taken jsonb := '{}';
  v_row record;
  v_org_now int;
begin
  select * into v_settings from private.export_settings;
  select count(*) into v_global from public.export_lanes l
  where l.lease_owner is not null and l.lease_expires_at >= now();
  for v_row in
    with running as (
      select l.job_id, j.organisation_id from public.export_lanes l join public.export_jobs j on j.id = l.job_id
      where l.lease_owner is not null and l.lease_expires_at >= now()
    )
    select l.job_id, l.lane_no, j.organisation_id,
           (select count(*) from running r where r.organisation_id = j.organisation_id)::int as org_running,
           (select count(*) from running r where r.job_id = l.job_id)::int as job_running
    from public.export_lanes l join public.export_jobs j on j.id = l.job_id
    where l.status in ('queued', 'retrying') and l.lease_owner is null
      and coalesce(l.next_retry_at, now()) <= now()
      and j.status in ('queued', 'running', 'retrying') and j.cancel_requested_at is null
    order by 4, 5, j.created_at, l.lane_no
  loop
    v_org_now := v_row.org_running + coalesce((v_taken ->> v_row.organisation_id::text)::int, 0);
    job_id := v_row.job_id;
    lane_no := v_row.lane_no;
    organisation_id := v_row.organisation_id;
    org_running := v_row.org_running;
    job_running := v_row.job_running;
    fits := v_global < v_settings.max_running_lanes and v_org_now < v_settings.max_running_lanes_per_org;
    if fits then
      v_global := v_global + 1;
      v_taken := jsonb_set(v_taken, array[v_row.organisation_id::text], to_jsonb(v_org_now - v_row.org_running + 1));
    end if;
    return next;
  end loop;
end
$$;

-- Lanes to start now (someone should invoke a worker for each): they fit under the caps and nobody is
-- known to be starting them already.
create function private.lanes_to_kick(p_limit int)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_object('job_id', w.job_id, 'lane_no', w.lane_no)), '[]'::jsonb)
  from (
    select w.job_id, w.lane_no from private.waiting_lanes() w
    join public.export_lanes l on l.job_id = w.job_id and l.lane_no = w.lane_no
    where w.fits and l.kick_at <= now()
    limit p_limit
  ) w
$$;

-- At a hand-off, whether this lane should give its slot to a waiting lane that deserves it more: one of
-- another organisation that runs at least two lanes fewer (when the global cap is what holds it back), or
-- of another job of the same organisation that runs at least two lanes fewer (when the organisation's cap
-- is). "Two fewer" makes the swap strictly fairer, so two jobs never trade a slot back and forth.
create function private.should_yield(p_job_id uuid, p_lane_no int)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
declare
  v_settings private.export_settings;
  v_org uuid;
  v_org_running int;
  v_job_running int;
  v_global int;
begin
  select * into v_settings from private.export_settings;
  select organisation_id into v_org from public.export_jobs where id = p_job_id;
  select count(*) into v_global from public.export_lanes where lease_owner is not null and lease_expires_at >= now();
  select count(*) filter (where j.organisation_id = v_org), count(*) filter (where l.job_id = p_job_id)
  into v_org_running, v_job_running
  from public.export_lanes l join public.export_jobs j on j.id = l.job_id
  where l.lease_owner is not null and l.lease_expires_at >= now();
  return exists (
    select 1 from private.waiting_lanes() w
    where w.job_id <> p_job_id
      and not w.fits
      and (
        (w.organisation_id <> v_org and v_global >= v_settings.max_running_lanes
          and w.org_running < v_settings.max_running_lanes_per_org and w.org_running + 2 <= v_org_running)
        or (w.organisation_id = v_org and w.job_running + 2 <= v_job_running)
      )
  );
end
$$;

-- ---- Claiming a lane --------------------------------------------------------------------------------

-- What an invocation that holds a lane's lease needs: the job, the lane's cursor and bounds, the shards
-- to re-run first, and the objects of dead holders to remove.
create function private.lane_work(p_job_id uuid, p_lane_no int, p_invocation_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'claimed', true,
    'invocation_id', p_invocation_id,
    'generation', l.lease_generation,
    'lease_expires_at', l.lease_expires_at,
    'job', jsonb_build_object(
      'id', j.id,
      'organisation_id', j.organisation_id,
      'collection', j.collection,
      'key_field', j.key_field,
      'mandatory_filter', j.mandatory_filter,
      'filter', j.filter,
      'fields', to_jsonb(j.fields),
      'format', j.format,
      'page_size', j.page_size,
      'neutralise_formulas', j.neutralise_formulas,
      'budget', jsonb_strip_nulls(jsonb_build_object('timeMs', j.budget_time_ms, 'cpuMs', j.budget_cpu_ms))
    ),
    'lane', jsonb_build_object(
      'lane_no', l.lane_no,
      'key_after', l.key_after,
      'key_upper', l.key_upper,
      'cursor_key', coalesce(l.cursor_key, l.key_after),
      'next_seq', l.next_seq,
      'tail_complete', l.tail_complete,
      'dead_generations', to_jsonb(l.dead_generations),
      'dead_seqs', to_jsonb(l.dead_seqs)
    ),
    'reruns', coalesce((
      select jsonb_agg(jsonb_build_object('shard_no', s.shard_no, 'lane_seq', s.lane_seq, 'key_after', s.key_after,
                                          'key_last', s.key_last, 'rows', s.rows, 'sha256', s.sha256) order by s.lane_seq)
      from public.export_shards s where s.job_id = p_job_id and s.lane = p_lane_no and s.status = 'rerun_requested'
    ), '[]'::jsonb)
  )
  from public.export_jobs j join public.export_lanes l on l.job_id = j.id and l.lane_no = p_lane_no
  where j.id = p_job_id
$$;

-- Claim: take a lane's lease if nobody holds a live one and the caps allow. `p_lane_no` null: the first
-- lane of the job that is due. Always records an invocation (declined ones too, so support sees
-- duplicate kicks). `p_budget` ({timeMs?, cpuMs?}) is stored on the job for every later invocation.
create function public.claim_export_lane(p_job_id uuid, p_lane_no int, p_lease_seconds int, p_budget jsonb)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_lane public.export_lanes;
  v_invocation uuid := gen_random_uuid();
  v_reason text;
  v_work jsonb;
begin
  if p_lease_seconds is null or p_lease_seconds not between 3 and 600 then
    raise exception 'lease must be between 3 and 600 seconds, got %', p_lease_seconds using errcode = '22023';
  end if;
  -- Caps are counted and taken in one place at a time, so two claims cannot both take the last slot.
  perform pg_advisory_xact_lock(hashtext('baton.claim_export_lane'));

  select * into v_job from public.export_jobs where id = p_job_id for update;
  if not found then
    return jsonb_build_object('claimed', false, 'reason', 'not_found');
  end if;
  if p_budget is not null and p_budget <> '{}'::jsonb then
    update public.export_jobs
    set budget_time_ms = coalesce((p_budget ->> 'timeMs')::int, budget_time_ms),
        budget_cpu_ms = coalesce((p_budget ->> 'cpuMs')::int, budget_cpu_ms)
    where id = p_job_id;
  end if;
  if private.reap_expired_lanes(p_job_id) > 0 then
    perform private.settle_export_job(p_job_id);
  end if;
  select * into v_job from public.export_jobs where id = p_job_id;

  if v_job.status in ('completed', 'failed', 'cancelled') then
    v_reason := 'finished';
  elsif v_job.cancel_requested_at is not null then
    perform private.cancel_idle_lanes(p_job_id);
    v_reason := case private.settle_export_job(p_job_id) when 'cancelled' then 'cancelled' else 'cancelling' end;
  else
    select * into v_lane from public.export_lanes l
    where l.job_id = p_job_id and (p_lane_no is null or l.lane_no = p_lane_no)
      and l.lease_owner is null and l.status in ('queued', 'retrying') and coalesce(l.next_retry_at, now()) <= now()
    order by l.lane_no limit 1
    for update;
    if not found then
      v_reason := case
        when exists (select 1 from public.export_lanes where job_id = p_job_id and (p_lane_no is null or lane_no = p_lane_no)
                     and lease_owner is not null) then 'leased'
        when exists (select 1 from public.export_lanes where job_id = p_job_id and (p_lane_no is null or lane_no = p_lane_no)
                     and status = 'retrying') then 'not_due'
        when p_lane_no is not null and not exists (select 1 from public.export_lanes where job_id = p_job_id and lane_no = p_lane_no)
          then 'not_found'
        else 'finished'
      end;
    elsif (select count(*) from public.export_lanes where lease_owner is not null and lease_expires_at >= now())
            >= (select max_running_lanes from private.export_settings)
       or (select count(*) from public.export_lanes l join public.export_jobs j on j.id = l.job_id
           where l.lease_owner is not null and l.lease_expires_at >= now() and j.organisation_id = v_job.organisation_id)
            >= (select max_running_lanes_per_org from private.export_settings) then
      -- Over a cap: the lane waits; whoever frees a slot starts the most deserving waiting lanes (and the
      -- sweep, as a backstop). A claim within the caps is served first come, first served: fairness is in
      -- which lanes get kicked and in yielding at hand-offs, so a slot never idles.
      v_reason := 'capped';
      update public.export_lanes set kick_at = now() where job_id = p_job_id and lane_no = v_lane.lane_no;
    end if;
  end if;

  if v_reason is not null then
    insert into public.export_invocations (id, job_id, lane_no, ended_at, end_reason)
    values (v_invocation, p_job_id, coalesce(v_lane.lane_no, p_lane_no), now(), case when v_reason = 'cancelled' then 'cancelled' else 'declined' end);
    return jsonb_build_object('claimed', false, 'reason', v_reason, 'invocation_id', v_invocation,
                              'kick', case when v_reason = 'capped' then private.lanes_to_kick(8) else '[]'::jsonb end);
  end if;

  update public.export_lanes
  set status = 'running',
      lease_owner = v_invocation,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds),
      lease_seconds = p_lease_seconds,
      lease_generation = lease_generation + 1,
      last_heartbeat_at = now(),
      heir = null,
      next_retry_at = null,
      started_at = coalesce(started_at, now())
  where job_id = p_job_id and lane_no = v_lane.lane_no
  returning * into v_lane;
  insert into public.export_invocations (id, job_id, lane_no, generation, last_heartbeat_at)
  values (v_invocation, p_job_id, v_lane.lane_no, v_lane.lease_generation, now());
  v_work := private.lane_work(p_job_id, v_lane.lane_no, v_invocation);
  perform private.settle_export_job(p_job_id);
  return v_work;
end
$$;

-- The lane's lease, checked: held by this invocation and generation, not expired, job still running.
-- Locks the lane row for the rest of the transaction; null when the lease is lost.
create function private.lock_leased_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
returns public.export_lanes
language plpgsql
set search_path = ''
as $$
declare
  v_lane public.export_lanes;
begin
  select * into v_lane from public.export_lanes where job_id = p_job_id and lane_no = p_lane_no for update;
  if not found
     or v_lane.lease_owner is distinct from p_invocation_id
     or v_lane.lease_generation <> p_generation
     or v_lane.lease_expires_at < now() then
    return null;
  end if;
  return v_lane;
end
$$;

-- The job row, locked for the rest of the transaction: lanes' calls take it first (then their lane row),
-- so shard numbers are given out in order and a committed cancel or a job ended elsewhere is seen.
create function private.lock_job_for_lane(p_job_id uuid)
returns public.export_jobs
language sql
set search_path = ''
as $$
  select * from public.export_jobs where id = p_job_id for update
$$;

-- Hands the lease to the waiting heir in one step (new generation, fresh expiry), unless the slot should
-- go to a more deserving waiting lane. Caller holds the job and lane locks.
create function private.pass_lane(p_job_id uuid, p_lane public.export_lanes)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_generation bigint;
begin
  if p_lane.heir is null then
    return jsonb_build_object('outcome', 'no_heir');
  end if;
  if private.should_yield(p_job_id, p_lane.lane_no) then
    update public.export_lanes
    set lease_owner = null, lease_expires_at = null, heir = null, status = 'queued', kick_at = now()
    where job_id = p_job_id and lane_no = p_lane.lane_no;
    perform private.settle_export_job(p_job_id);
    return jsonb_build_object('outcome', 'yielded', 'kick', private.lanes_to_kick(8));
  end if;
  update public.export_lanes
  set lease_owner = heir, heir = null, lease_generation = lease_generation + 1,
      lease_expires_at = now() + make_interval(secs => lease_seconds), last_heartbeat_at = now()
  where job_id = p_job_id and lane_no = p_lane.lane_no
  returning lease_generation into v_generation;
  update public.export_invocations set generation = v_generation, last_heartbeat_at = now() where id = p_lane.heir;
  return jsonb_build_object('outcome', 'passed');
end
$$;

-- ---- The page loop ----------------------------------------------------------------------------------

-- Record one shard whose object is already in storage (invariant 3), in the same round trip that renews
-- the lease (the heartbeat) and tells the worker how to go on:
--   recorded / passed (the lease went to the heir with this shard) / yielded (the slot went to a waiting
--   lane) — or, with nothing recorded: cancel_requested, lease_lost, stopped, source_changed.
-- A tail shard continues its lane exactly (next sequence number, key range adjacent to the lane's cursor,
-- inside the lane's bounds). A re-run (`p_shard_no` set) must reproduce the shard it replaces: same key
-- range, rows and sha256, so the file stays byte-identical; a changed source is refused, not retried. Its
-- gzip bytes may differ (another zlib) and are simply the new object's.
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

-- An idle heartbeat (a slow page): renews the lease while nothing is recorded. Says whether it is still
-- held and whether a cancel or an heir is waiting.
create function public.heartbeat_export_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_lane public.export_lanes;
  v_job public.export_jobs;
begin
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_lane.job_id is null then
    return jsonb_build_object('held', false);
  end if;
  update public.export_lanes
  set lease_expires_at = now() + make_interval(secs => lease_seconds), last_heartbeat_at = now()
  where job_id = p_job_id and lane_no = p_lane_no;
  update public.export_invocations set last_heartbeat_at = now() where id = p_invocation_id;
  select * into v_job from public.export_jobs where id = p_job_id;
  return jsonb_build_object('held', v_job.status not in ('completed', 'failed', 'cancelled'),
                            'cancel_requested', v_job.cancel_requested_at is not null,
                            'heir_waiting', v_lane.heir is not null);
end
$$;

-- ---- Warm hand-off ----------------------------------------------------------------------------------

-- What an heir-to-be warms up on (a page of the lane through the same code, on a fresh isolate) before it
-- registers: the job and the lane as they are now, while the predecessor holds it. It registers only
-- once warm, because the holder passes the baton as soon as an heir is registered.
create function public.preview_export_heir(p_job_id uuid, p_lane_no int, p_predecessor uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select jsonb_build_object('available', true, 'job', w -> 'job', 'lane', w -> 'lane')
     from public.export_lanes l, private.lane_work(p_job_id, p_lane_no, p_predecessor) w
     where l.job_id = p_job_id and l.lane_no = p_lane_no and l.lease_owner = p_predecessor
       and l.lease_expires_at >= now() and l.heir is null),
    jsonb_build_object('available', false));
$$;

-- A fresh copy started by the lane's holder asks to be its heir. Registered: it waits in
-- await_export_baton. Not registered (the holder already left, or another heir is there): it claims as
-- usual.
create function public.register_export_heir(p_job_id uuid, p_lane_no int, p_predecessor uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_invocation uuid := gen_random_uuid();
begin
  update public.export_lanes
  set heir = v_invocation, baton_after_key = null
  where job_id = p_job_id and lane_no = p_lane_no and lease_owner = p_predecessor
    and lease_expires_at >= now() and heir is null;
  if not found then
    return jsonb_build_object('registered', false);
  end if;
  insert into public.export_invocations (id, job_id, lane_no) values (v_invocation, p_job_id, p_lane_no);
  -- What the lane looks like now, so the heir can warm up on a page like the ones it will write.
  return jsonb_build_object('registered', true, 'invocation_id', v_invocation)
    || (select jsonb_build_object('job', w -> 'job', 'lane', w -> 'lane')
        from private.lane_work(p_job_id, p_lane_no, v_invocation) w);
end
$$;

-- The lease holder tells its waiting heir where its last page ends. Only the holder of the current
-- generation, and only while an heir is registered; anything else is a no-op (announced: false).
create function public.announce_export_baton(
  p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint, p_after_key bigint
)
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
  update public.export_lanes
  set baton_after_key = p_after_key
  where job_id = p_job_id and lane_no = p_lane_no and lease_owner = p_invocation_id
    and lease_generation = p_generation and lease_expires_at >= now() and heir is not null;
  return jsonb_build_object('announced', found);
end
$$;

-- The heir waits for the lease, polling the lane row inside one call (each statement sees the latest
-- commit; 5 ms apart costs the worker no CPU). Returns the claim when the predecessor passed the lease;
-- early (claimed: false, reason 'announced', after_key) when the predecessor has announced a key the heir
-- has not seen yet, so it reads that page ahead and waits again; or {claimed: false} when it never will
-- (it yielded, failed, finished, or the wait timed out: the heir then steps back so a later hand-off or
-- the sweep takes over).
create function public.await_export_baton(
  p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_wait_ms int, p_seen_after_key bigint default null
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_deadline timestamptz := clock_timestamp() + make_interval(secs => least(greatest(p_wait_ms, 0), 30000) / 1000.0);
  v_lane public.export_lanes;
begin
  loop
    select * into v_lane from public.export_lanes where job_id = p_job_id and lane_no = p_lane_no;
    if v_lane.lease_owner = p_invocation_id then
      return private.lane_work(p_job_id, p_lane_no, p_invocation_id);
    end if;
    if v_lane.heir = p_invocation_id and v_lane.baton_after_key is distinct from p_seen_after_key
       and v_lane.baton_after_key is not null then
      -- Text: a bigint key beyond 2^53 would be rounded as a JSON number.
      return jsonb_build_object('claimed', false, 'reason', 'announced', 'invocation_id', p_invocation_id,
                                'after_key', v_lane.baton_after_key::text);
    end if;
    exit when v_lane.heir is distinct from p_invocation_id or clock_timestamp() >= v_deadline;
    perform pg_sleep(0.005);
  end loop;
  -- Step back, unless the lease arrived at the last moment (the row lock decides).
  select * into v_lane from public.export_lanes where job_id = p_job_id and lane_no = p_lane_no for update;
  if v_lane.lease_owner = p_invocation_id then
    return private.lane_work(p_job_id, p_lane_no, p_invocation_id);
  end if;
  update public.export_lanes set heir = null where job_id = p_job_id and lane_no = p_lane_no and heir = p_invocation_id;
  update public.export_invocations set ended_at = now(), end_reason = 'declined'
  where id = p_invocation_id and ended_at is null;
  return jsonb_build_object('claimed', false,
                            'reason', case when v_lane.heir is distinct from p_invocation_id then 'not_passed' else 'heir_timeout' end,
                            'invocation_id', p_invocation_id);
end
$$;

-- The budget is spent: pass to the heir if one waits; otherwise release the lane (queued, kick in 5 s
-- unless the caller starts it first) and say which lanes to start: this one, unless its slot is better
-- given to a waiting lane.
create function public.hand_off_export_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_lane public.export_lanes;
  v_pass jsonb;
  v_yield boolean;
begin
  v_job := private.lock_job_for_lane(p_job_id);
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_lane.job_id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  v_pass := private.pass_lane(p_job_id, v_lane);
  if v_pass ->> 'outcome' <> 'no_heir' then
    return v_pass;
  end if;
  v_yield := private.should_yield(p_job_id, p_lane_no);
  update public.export_lanes
  set lease_owner = null, lease_expires_at = null, status = 'queued',
      kick_at = case when v_yield then now() else now() + interval '5 seconds' end
  where job_id = p_job_id and lane_no = p_lane_no;
  perform private.settle_export_job(p_job_id);
  return jsonb_build_object(
    'outcome', case when v_yield then 'yielded' else 'released' end,
    'kick', case when v_yield then private.lanes_to_kick(8)
                 else jsonb_build_array(jsonb_build_object('job_id', p_job_id, 'lane_no', p_lane_no)) end
  );
end
$$;

-- ---- Ends of a lane ---------------------------------------------------------------------------------

-- The lane's key range is exhausted and nothing is left to re-run. The job completes when its last lane
-- does — unless a cancel committed first: then this lane stops as cancelled (the worker acknowledges).
-- The finisher's invocation ends here as 'completed' (see the contract).
create function public.finish_export_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_lane public.export_lanes;
  v_status text;
begin
  v_job := private.lock_job_for_lane(p_job_id);
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_job.status in ('completed', 'failed', 'cancelled') then
    return jsonb_build_object('outcome', 'stopped');
  end if;
  if v_lane.job_id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  if v_job.cancel_requested_at is not null then
    return jsonb_build_object('outcome', 'cancel_requested');
  end if;
  if exists (select 1 from public.export_shards where job_id = p_job_id and lane = p_lane_no and status = 'rerun_requested') then
    raise exception 'lane % of job % still has shards waiting for a re-run', p_lane_no, p_job_id using errcode = 'P0001';
  end if;
  update public.export_lanes
  set status = 'completed', tail_complete = true, lease_owner = null, lease_expires_at = null, heir = null,
      finished_at = now()
  where job_id = p_job_id and lane_no = p_lane_no
  returning * into v_lane;
  update public.export_invocations
  set ended_at = now(), end_reason = 'completed'
  where id = p_invocation_id and ended_at is null;
  v_status := private.settle_export_job(p_job_id);
  select * into v_job from public.export_jobs where id = p_job_id;
  return jsonb_build_object(
    'outcome', 'completed',
    'job_status', v_status,
    'rows_written', v_job.rows_written,
    'estimated_rows', v_job.estimated_rows,
    -- The lane's objects as the manifest has them: the finisher removes anything else under the lane.
    'storage_keys', coalesce((select jsonb_agg(storage_key) from public.export_shards
                              where job_id = p_job_id and lane = p_lane_no), '[]'::jsonb),
    'kick', private.lanes_to_kick(8)
  );
end
$$;

-- The worker saw a cancel: this lane stops with nothing more written; the job is cancelled once no lane
-- holds a live lease.
create function public.acknowledge_export_cancel(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_lane public.export_lanes;
begin
  v_job := private.lock_job_for_lane(p_job_id);
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_lane.job_id is null or v_job.cancel_requested_at is null then
    return jsonb_build_object('acknowledged', false);
  end if;
  update public.export_lanes
  set status = 'cancelled', lease_owner = null, lease_expires_at = null, heir = null, finished_at = now()
  where job_id = p_job_id and lane_no = p_lane_no;
  return jsonb_build_object('acknowledged', true, 'job_status', private.settle_export_job(p_job_id),
                            'kick', private.lanes_to_kick(8));
end
$$;

-- A failed invocation: retryable errors back off exponentially (2, 4, 8 … s, at most 60 s) until the
-- attempt cap; permanent ones, or the cap, fail the lane, which fails the job (one notification).
create function public.fail_export_lane(
  p_job_id uuid,
  p_lane_no int,
  p_invocation_id uuid,
  p_generation bigint,
  p_error_kind text,
  p_message text,
  p_retryable boolean
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_lane public.export_lanes;
  v_attempts int;
  v_retry boolean;
begin
  v_job := private.lock_job_for_lane(p_job_id);
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_lane.job_id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  v_attempts := v_lane.attempts + 1;
  v_retry := p_retryable and v_attempts < v_job.max_attempts;
  update public.export_lanes
  set attempts = v_attempts,
      last_error = left(case when v_job.lane_count > 1 then format('Lane %s: %s', p_lane_no, p_message) else p_message end, 2000),
      last_error_kind = left(p_error_kind, 100),
      lease_owner = null, lease_expires_at = null, heir = null,
      status = case when v_retry then 'retrying' else 'failed' end,
      next_retry_at = case when v_retry then now() + make_interval(secs => least(60, power(2, v_attempts))) end,
      kick_at = case when v_retry then now() + make_interval(secs => least(60, power(2, v_attempts))) else kick_at end,
      finished_at = case when v_retry then null else now() end
  where job_id = p_job_id and lane_no = p_lane_no
  returning * into v_lane;
  perform private.settle_export_job(p_job_id);
  return jsonb_build_object(
    'outcome', case when v_retry then 'retrying' else 'failed' end,
    'attempts', v_attempts,
    'next_retry_at', v_lane.next_retry_at,
    'kick', private.lanes_to_kick(8)
  );
end
$$;

-- Every invocation ends here with its figures (the support timeline). Only the ends the database records
-- on a holder's behalf ('declined', 'completed') may be recorded again, and only with the same reason: a
-- 'killed' mark keeps its time and error whatever a late holder says.
create function public.end_export_invocation(
  p_invocation_id uuid,
  p_end_reason text,
  p_cpu_ms int,
  p_wall_ms int,
  p_peak_heap_bytes bigint,
  p_error text
)
returns void
language sql
set search_path = ''
as $$
  update public.export_invocations
  set ended_at = now(), end_reason = p_end_reason, cpu_ms = p_cpu_ms, wall_ms = p_wall_ms,
      peak_heap_bytes = p_peak_heap_bytes, error = left(p_error, 2000)
  where id = p_invocation_id
    and (ended_at is null or end_reason = p_end_reason and p_end_reason in ('declined', 'completed'))
$$;

-- ---- Users' requests --------------------------------------------------------------------------------

-- The job row, locked for the rest of the transaction; a missing job is PostgREST's 404 (PT404).
create function private.lock_export_or_404(p_job_id uuid)
returns public.export_jobs
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  select * into v_job from public.export_jobs where id = p_job_id for update;
  if not found then
    raise exception 'export job % not found', p_job_id using errcode = 'PT404';
  end if;
  return v_job;
end
$$;

-- A user (authorised by the API route) asks to stop. Lanes nobody works on stop at once; a lane whose
-- holder is alive stops at its next shard (invariant 7); the job is cancelled when none is left.
create function public.request_export_cancel(p_job_id uuid)
returns public.export_jobs
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_export_or_404(p_job_id);
  if v_job.status in ('completed', 'failed', 'cancelled') then
    raise exception 'export job % is already %', p_job_id, v_job.status using errcode = 'PT409';
  end if;
  -- The moment the cancel takes effect (the row lock is held): every shard recorded before it started
  -- earlier, and every record after it sees the cancel and refuses.
  update public.export_jobs set cancel_requested_at = coalesce(cancel_requested_at, clock_timestamp()) where id = p_job_id;
  perform private.cancel_idle_lanes(p_job_id);
  perform private.settle_export_job(p_job_id);
  select * into v_job from public.export_jobs where id = p_job_id;
  return v_job;
end
$$;

-- Re-run what is missing: the named shards, each with its own reason (`p_reasons[i]` for `p_shard_nos[i]`;
-- their lanes and key ranges are in the manifest), and every lane whose key range was not exhausted. A new
-- run: its outcome is notified again.
create function public.request_export_rerun(p_job_id uuid, p_shard_nos int[], p_reasons text[])
returns public.export_jobs
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_export_or_404(p_job_id);
  if v_job.status in ('queued', 'running', 'retrying') then
    raise exception 'export job % is still %; cancel it or wait for it to end before a re-run', p_job_id, v_job.status
      using errcode = 'PT409';
  end if;
  if coalesce(cardinality(p_shard_nos), 0) <> coalesce(cardinality(p_reasons), 0) then
    raise exception 'one reason per shard: % shards, % reasons', coalesce(cardinality(p_shard_nos), 0),
      coalesce(cardinality(p_reasons), 0) using errcode = 'PT422';
  end if;
  if exists (
    select 1 from unnest(coalesce(p_shard_nos, '{}')) n
    where not exists (select 1 from public.export_shards s where s.job_id = p_job_id and s.shard_no = n)
  ) then
    raise exception 'some of the shards % are not in the manifest of job %', p_shard_nos, p_job_id using errcode = 'PT422';
  end if;
  if coalesce(cardinality(p_shard_nos), 0) = 0 and v_job.tail_complete then
    raise exception 'export job % has nothing to re-run', p_job_id using errcode = 'PT422';
  end if;

  -- Each shard its own reason; what a download found (kind, when) stays alongside it.
  update public.export_shards s
  set status = 'rerun_requested', problem = left(coalesce(r.reason, 'requested by support'), 500),
      problem_source = coalesce(s.problem_source, 'support'), problem_at = coalesce(s.problem_at, now())
  from unnest(p_shard_nos, p_reasons) as r (shard_no, reason)
  where s.job_id = p_job_id and s.shard_no = r.shard_no;
  update public.export_lanes l
  set status = 'queued', attempts = 0, next_retry_at = null, last_error = null, last_error_kind = null,
      lease_owner = null, lease_expires_at = null, heir = null, finished_at = null,
      kick_at = now() + interval '5 seconds'
  where l.job_id = p_job_id
    and (not l.tail_complete
         or exists (select 1 from public.export_shards s where s.job_id = p_job_id and s.lane = l.lane_no and s.status = 'rerun_requested'));
  update public.export_jobs
  set status = 'queued', run_no = run_no + 1, cancel_requested_at = null, finished_at = null, attempts = 0,
      next_retry_at = null, last_error = null, last_error_kind = null
  where id = p_job_id;
  perform private.settle_export_job(p_job_id);
  select * into v_job from public.export_jobs where id = p_job_id;
  return v_job;
end
$$;

-- The job's organisation when the caller can see the job (else PT404: same answer as a job that does not
-- exist), after checking the caller may operate there.
create function private.operable_export_org(p_job_id uuid)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  select j.organisation_id into v_org from public.export_jobs j
  where j.id = p_job_id
    and exists (select 1 from public.memberships m where m.organisation_id = j.organisation_id and m.user_id = (select auth.uid()));
  if v_org is null then
    raise exception 'export job % not found', p_job_id using errcode = 'PT404';
  end if;
  perform private.require_export_operator(v_org, (select auth.uid()));
  return v_org;
end
$$;

-- A user asks to stop a job of their organisation (member role and up).
create function public.cancel_export(p_job_id uuid)
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.operable_export_org(p_job_id);
  return public.request_export_cancel(p_job_id);
end
$$;

-- A user re-runs shards of a job of their organisation, each with its own reason, or its unfinished tail
-- (member role and up).
create function public.rerun_export(p_job_id uuid, p_shard_nos int[], p_reasons text[])
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.operable_export_org(p_job_id);
  return public.request_export_rerun(p_job_id, p_shard_nos, p_reasons);
end
$$;

-- ---- The sweep --------------------------------------------------------------------------------------

-- pg_cron's work (the devstack runs it on a timer): reap lanes whose holder died (their lease ran out),
-- settle cancels nobody is working on, and return the lanes that need a worker — due, under the caps,
-- and not already being started — one row per lane, most deserving first.
create function public.sweep_export_jobs()
returns table (job_id uuid, lane_no int)
language plpgsql
set search_path = ''
as $$
declare
  v_job_id uuid;
begin
  for v_job_id in
    select j.id from public.export_jobs j
    where j.status in ('queued', 'running', 'retrying')
      and (j.cancel_requested_at is not null
           or exists (select 1 from public.export_lanes l
                      where l.job_id = j.id and l.lease_owner is not null and l.lease_expires_at < now()))
    for update skip locked
  loop
    if exists (select 1 from public.export_jobs where id = v_job_id and cancel_requested_at is not null) then
      perform private.cancel_idle_lanes(v_job_id);
    else
      perform private.reap_expired_lanes(v_job_id);
    end if;
    perform private.settle_export_job(v_job_id);
  end loop;

  return query
    select (k ->> 'job_id')::uuid, (k ->> 'lane_no')::int
    from jsonb_array_elements(private.lanes_to_kick(100)) k;
end
$$;

-- ---- Privileges -------------------------------------------------------------------------------------

-- Internal: only the service role (worker, API routes, sweep) runs the state machine.
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'private.refresh_export_progress(uuid)',
    'private.format_count(bigint, text, text)',
    'private.notify_export_outcome(uuid, text)',
    'private.finalise_export(uuid, text)',
    'private.settle_export_job(uuid)',
    'private.reap_expired_lanes(uuid)',
    'private.cancel_idle_lanes(uuid)',
    'private.waiting_lanes()',
    'private.lanes_to_kick(int)',
    'private.should_yield(uuid, int)',
    'private.lane_work(uuid, int, uuid)',
    'public.claim_export_lane(uuid, int, int, jsonb)',
    'private.lock_leased_lane(uuid, int, uuid, bigint)',
    'private.lock_job_for_lane(uuid)',
    'private.pass_lane(uuid, public.export_lanes)',
    'public.record_export_shard(uuid, int, uuid, bigint, int, int, bigint, bigint, int, bigint, int, text, text, int, int, boolean, text, bigint, int, text)',
    'public.heartbeat_export_lane(uuid, int, uuid, bigint)',
    'public.preview_export_heir(uuid, int, uuid)',
    'public.register_export_heir(uuid, int, uuid)',
    'public.announce_export_baton(uuid, int, uuid, bigint, bigint)',
    'public.await_export_baton(uuid, int, uuid, int, bigint)',
    'public.hand_off_export_lane(uuid, int, uuid, bigint)',
    'public.finish_export_lane(uuid, int, uuid, bigint)',
    'public.acknowledge_export_cancel(uuid, int, uuid, bigint)',
    'public.fail_export_lane(uuid, int, uuid, bigint, text, text, boolean)',
    'public.end_export_invocation(uuid, text, int, int, bigint, text)',
    'private.lock_export_or_404(uuid)',
    'public.request_export_cancel(uuid)',
    'public.request_export_rerun(uuid, int[], text[])',
    'public.sweep_export_jobs()'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;

-- Signed-in users cancel and re-run through these (their role is checked inside).
revoke execute on function private.operable_export_org(uuid) from public, anon, authenticated;
revoke execute on function public.cancel_export(uuid) from public, anon;
revoke execute on function public.rerun_export(uuid, int[], text[]) from public, anon;
grant execute on function public.cancel_export(uuid) to authenticated, service_role;
grant execute on function public.rerun_export(uuid, int[], text[]) to authenticated, service_role;
