-- Lanes, heartbeat leases, warm hand-offs and fair caps: the export state machine, rewritten.
--
-- Contract:
-- * A job's key range is split into lanes at start (`export_jobs.lane_bounds`: the inner upper bounds,
--   found by the API from counts of `key:<=x`); an insert trigger creates one `export_lanes` row per lane.
--   Each lane is an independent chain: its own cursor, lease (owner, short expiry, generation that only
--   grows), heir (warm hand-off), attempts and backoff. A kill, failure or slow page in one lane never
--   touches another lane's lease.
-- * Leases are heartbeats: a claim takes a short lease (the worker's BATON_WORKER_LEASE_SECONDS, 8 s by
--   default) that every recorded shard (and an idle heartbeat) renews. A lease that runs out means its
--   invocation died: the next claim or the sweep marks it `killed` at its last heartbeat, counts an
--   attempt on the lane, and past the job's attempt cap fails the job once, naming the lane, the page and
--   the reason.
-- * Warm hand-off: an invocation near the end of its budget starts its successor, which registers as the
--   lane's heir and waits inside `await_export_baton`; the predecessor passes the lease to it in the same
--   call that records its last shard. Nothing but the lane row changes hands, so the job row stays quiet.
-- * Caps: at most `private.export_settings.max_running_lanes` lanes hold a live lease at once, and at most
--   `max_running_lanes_per_org` of one organisation. Lanes beyond a cap wait; whoever frees a slot (a lane
--   finishing, failing or yielding) is told which waiting lanes to start, fewest-running organisation
--   first, then fewest-running job, then oldest job, so no tenant's small export waits behind another's
--   huge one. At a hand-off a lane yields its slot to a waiting lane whose organisation (or, within one
--   organisation, whose job) runs at least two lanes fewer.
-- * The manifest orders the file: shards sort by (lane, lane_seq), which is key order because lanes cover
--   ascending, disjoint key ranges. `shard_no` stays a job-wide number (allocated as shards are recorded)
--   for people and the API. Storage keys are a pure function of (job, lane, lane_seq, generation, format).
-- * `export_jobs` stays small for Realtime: per-lane progress is the compact `lanes` array, refreshed with
--   the other counters at most once per progress interval per job, and at every lane state change.
-- * Exactly one terminal notification per outcome of each run (`run_no` grows with every re-run), decided
--   by a unique constraint. A cancel that committed before the last lane finished wins: a job with
--   `cancel_requested_at` set never ends `completed`.
-- * A re-run must reproduce its shard exactly (same rows and sha256); if the source changed under it, the
--   record is refused with `source_changed` and the worker fails the job for good, saying why.
-- * Users keep their organisation's history when a member is deleted: `requested_by` is set null.
--
-- Every function here has a fixed, empty search_path and is executable by the service role only.

-- ---- Cleanup of the first state machine (replaced below) --------------------------------------------

drop function public.claim_export_job(uuid, int);
drop function public.record_export_shard(uuid, uuid, bigint, int, bigint, bigint, int, bigint, int, text, text, int, boolean);
drop function public.hand_off_export_job(uuid, uuid, bigint);
drop function public.finish_export_job(uuid, uuid, bigint);
drop function public.acknowledge_export_cancel(uuid, uuid, bigint);
drop function public.fail_export_job(uuid, uuid, bigint, text, text, boolean);
drop function public.request_export_cancel(uuid);
drop function public.request_export_rerun(uuid, int[], text);
drop function public.sweep_export_jobs();
drop function private.lock_leased_export(uuid, uuid, bigint);
drop function private.finalise_export(uuid, text);
drop function private.refresh_export_progress(uuid);
drop function private.notify_export_outcome(public.export_jobs, text);

-- ---- Settings ---------------------------------------------------------------------------------------

-- One row. Operators change it with SQL (service role); the claim and the sweep read it.
create table private.export_settings (
  singleton boolean primary key default true check (singleton),
  -- Protects Typesense and the project's function concurrency: lanes holding a live lease, all jobs.
  max_running_lanes int not null default 16 check (max_running_lanes between 1 and 1000),
  -- One organisation's share of the above.
  max_running_lanes_per_org int not null default 8 check (max_running_lanes_per_org between 1 and 1000)
);
insert into private.export_settings default values;
revoke all on private.export_settings from public, anon, authenticated;
grant select, update on private.export_settings to service_role;

-- ---- Jobs -------------------------------------------------------------------------------------------

create function private.is_strictly_ascending(p_values bigint[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(bool_and(v.value < v.next_value), true)
  from (select value, lead(value) over (order by ordinality) as next_value
        from unnest(p_values) with ordinality as u(value, ordinality)) v
  where v.next_value is not null
$$;

alter table public.export_jobs
  drop column lease_owner,
  drop column lease_expires_at,
  drop column lease_generation,
  alter column requested_by drop not null,
  drop constraint export_jobs_requested_by_fkey,
  add constraint export_jobs_requested_by_fkey foreign key (requested_by) references auth.users (id) on delete set null,
  -- Inner lane bounds: lane k holds keys in (bounds[k-1], bounds[k]]; the first lane starts at the
  -- beginning, the last one runs to the end. Empty: one lane.
  add column lane_bounds bigint[] not null default '{}'
    check (cardinality(lane_bounds) <= 7 and array_position(lane_bounds, null) is null and private.is_strictly_ascending(lane_bounds)),
  add column lane_count smallint generated always as (cardinality(lane_bounds) + 1) stored,
  -- Per-lane progress for the dashboard ([{lane, status, shards, rows, estimated, attempts}]), kept with the
  -- other counters so whatever feeds the job row to browsers carries it.
  add column lanes jsonb not null default '[]',
  -- 1 for the first run; every re-run is a new run with its own notifications.
  add column run_no int not null default 1 check (run_no >= 1),
  -- A budget set for this job's invocations (tests, benchmarks, support); survives hand-offs and the sweep.
  add column budget_time_ms int check (budget_time_ms between 200 and 400000),
  add column budget_cpu_ms int check (budget_cpu_ms between 50 and 400000);

-- ---- Lanes ------------------------------------------------------------------------------------------

create table public.export_lanes (
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  lane_no smallint not null check (lane_no between 1 and 8),
  -- Keys in (key_after, key_upper]; null: unbounded on that side.
  key_after bigint,
  key_upper bigint,
  estimated_rows bigint not null default 0 check (estimated_rows >= 0),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'retrying', 'completed', 'failed', 'cancelled')),
  -- Cursor: the last key this lane has written (null: nothing yet) and the next shard's sequence number.
  cursor_key bigint,
  next_seq int not null default 1 check (next_seq >= 1),
  tail_complete boolean not null default false,

  lease_owner uuid,
  lease_expires_at timestamptz,
  lease_seconds int check (lease_seconds between 3 and 600),
  lease_generation bigint not null default 0,
  last_heartbeat_at timestamptz,
  -- The invocation waiting in await_export_baton to take the lease over (warm hand-off).
  heir uuid,
  -- Holders that died without a goodbye: generation, and the lane's next shard when they did. What they
  -- may have uploaded and never recorded is removed by the next claimant; when the lane finishes, its
  -- finisher removes whatever else under the lane no manifest row references (a late or unforeseen write).
  dead_generations bigint[] not null default '{}',
  dead_seqs int[] not null default '{}',

  attempts int not null default 0 check (attempts >= 0),
  next_retry_at timestamptz,
  -- When nobody is known to be starting this lane: the sweep and slot-freeing lanes kick it from then on.
  kick_at timestamptz not null default now() + interval '5 seconds',
  last_error text,
  last_error_kind text,
  started_at timestamptz,
  finished_at timestamptz,
  primary key (job_id, lane_no),
  check (key_after is null or key_upper is null or key_after < key_upper)
);
create index export_lanes_active_idx on public.export_lanes (status) where status in ('queued', 'running', 'retrying');

alter table public.export_lanes enable row level security;
create policy "Members can see lanes of jobs they can see" on public.export_lanes
  for select to authenticated using (job_id in (select id from public.export_jobs));
revoke all on public.export_lanes from anon;
revoke insert, update, delete, truncate on public.export_lanes from authenticated;

-- Every job gets its lanes with it, so a job can never exist without them. Before the insert, the
-- job's compact `lanes` array (so the row the API gets back already shows them); after it, the rows.
create function private.plan_export_lanes() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_count int := cardinality(new.lane_bounds) + 1;
begin
  -- The bounds split the estimate evenly (the API finds them within ±10 %); the first lanes take the remainder.
  select jsonb_agg(jsonb_build_object(
           'lane', k, 'status', 'queued', 'shards', 0, 'rows', 0, 'attempts', 0,
           'estimated', new.estimated_rows / v_count + case when k <= new.estimated_rows % v_count then 1 else 0 end)
         order by k)
  into new.lanes
  from generate_series(1, v_count) k;
  return new;
end
$$;

create function private.create_export_lanes() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into public.export_lanes (job_id, lane_no, key_after, key_upper, estimated_rows)
  select new.id, (l ->> 'lane')::smallint,
         new.lane_bounds[(l ->> 'lane')::int - 1],
         new.lane_bounds[(l ->> 'lane')::int],
         (l ->> 'estimated')::bigint
  from jsonb_array_elements(new.lanes) l;
  return null;
end
$$;

-- ---- Manifest, invocations, notifications ----------------------------------------------------------

alter table public.export_shards
  add column lane smallint not null default 1 check (lane between 1 and 8),
  add column lane_seq int;
update public.export_shards set lane_seq = shard_no;
alter table public.export_shards alter column lane_seq set not null, add constraint export_shards_lane_seq_check check (lane_seq >= 1);
create unique index export_shards_lane_order_idx on public.export_shards (job_id, lane, lane_seq);

alter table public.export_invocations
  add column lane_no smallint,
  add column last_heartbeat_at timestamptz,
  drop constraint export_invocations_end_reason_check,
  add constraint export_invocations_end_reason_check
    check (end_reason in ('handoff', 'completed', 'cancelled', 'error', 'lease_lost', 'killed', 'declined', 'stopped'));

alter table public.notifications
  add column run_no int not null default 1,
  drop constraint notifications_one_per_job_and_kind,
  add constraint notifications_one_per_run_and_kind unique (job_id, run_no, kind);

-- ---- Progress and settling --------------------------------------------------------------------------

-- Counters on the job row, from the manifest (the truth), and the compact per-lane array.
create function private.refresh_export_progress(p_job_id uuid)
returns void
language sql
set search_path = ''
as $$
  with per_lane as (
    select lane, count(*)::int as shards, sum(rows)::bigint as rows, sum(bytes)::bigint as bytes,
           sum(header_bytes)::bigint as header_bytes, max(header_bytes)::bigint as one_header
    from public.export_shards where job_id = p_job_id and status = 'written'
    group by lane
  ), totals as (
    select coalesce(sum(shards), 0)::int as shards, coalesce(sum(rows), 0)::bigint as rows,
           -- Bytes of the downloadable file: the CSV header once, every other shard's header stripped.
           (coalesce(sum(bytes), 0) - coalesce(sum(header_bytes), 0) + coalesce(max(one_header), 0))::bigint as bytes
    from per_lane
  ), lanes as (
    select coalesce(jsonb_agg(jsonb_build_object(
             'lane', l.lane_no, 'status', l.status, 'shards', coalesce(p.shards, 0), 'rows', coalesce(p.rows, 0),
             'estimated', l.estimated_rows, 'attempts', l.attempts) order by l.lane_no), '[]'::jsonb) as summary
    from public.export_lanes l left join per_lane p on p.lane = l.lane_no
    where l.job_id = p_job_id
  )
  update public.export_jobs j
  set shards_written = t.shards, rows_written = t.rows, bytes_written = t.bytes, lanes = lanes.summary
  from totals t, lanes
  where j.id = p_job_id
    and (j.shards_written, j.rows_written, j.bytes_written, j.lanes) is distinct from (t.shards, t.rows, t.bytes, lanes.summary)
$$;

-- Exactly one notification per job, run and outcome: the unique constraint decides, not a prior read.
-- A job whose requester was deleted notifies nobody.
create function private.notify_export_outcome(p_job_id uuid, p_kind text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_title text;
  v_body text;
begin
  select * into v_job from public.export_jobs where id = p_job_id;
  if v_job.requested_by is null then
    return;
  end if;
  case p_kind
    when 'export_completed' then
      v_title := format('Export of %s completed', v_job.collection);
      v_body := format('%s rows in %s shards (%s).', v_job.rows_written, v_job.shards_written, upper(v_job.format));
    when 'export_failed' then
      v_title := format('Export of %s failed', v_job.collection);
      v_body := coalesce(v_job.last_error, 'The export failed.');
    when 'export_cancelled' then
      v_title := format('Export of %s cancelled', v_job.collection);
      v_body := format('%s rows in %s shards were written before the cancel.', v_job.rows_written, v_job.shards_written);
  end case;
  insert into public.notifications (user_id, organisation_id, job_id, run_no, kind, title, body)
  values (v_job.requested_by, v_job.organisation_id, v_job.id, v_job.run_no, p_kind, v_title, v_body)
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
-- range, rows and sha256, so the file stays byte-identical; a changed source is refused, not retried.
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
  p_pass_to_heir boolean
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
       generation, invocation_id, duration_ms)
    values (p_job_id, v_shard_no, p_lane_no, p_lane_seq, p_key_after, p_key_last, p_rows, p_bytes, p_header_bytes,
            p_sha256, p_storage_key, p_generation, p_invocation_id, p_duration_ms);
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

-- A fresh copy started by the lane's holder asks to be its heir. Registered: it warms up on the lane's
-- current page and waits in await_export_baton. Not registered (the holder already left, or another heir
-- is there): it claims as usual.
create function public.register_export_heir(p_job_id uuid, p_lane_no int, p_predecessor uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_invocation uuid := gen_random_uuid();
begin
  update public.export_lanes
  set heir = v_invocation
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

-- The heir waits for the lease, polling the lane row inside one call (each statement sees the latest
-- commit; 5 ms apart costs the worker no CPU). Returns the claim when the predecessor passed the lease,
-- or {claimed: false} when it never will (it yielded, failed, finished, or the wait timed out: the heir
-- then steps back so a later hand-off or the sweep takes over).
create function public.await_export_baton(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_wait_ms int)
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

-- ---- Users' requests --------------------------------------------------------------------------------

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

-- Re-run what is missing: the named shards (their lanes and key ranges are in the manifest) and every
-- lane whose key range was not exhausted. A new run: its outcome is notified again.
create function public.request_export_rerun(p_job_id uuid, p_shard_nos int[], p_problem text)
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
  if exists (
    select 1 from unnest(coalesce(p_shard_nos, '{}')) n
    where not exists (select 1 from public.export_shards s where s.job_id = p_job_id and s.shard_no = n)
  ) then
    raise exception 'some of the shards % are not in the manifest of job %', p_shard_nos, p_job_id using errcode = 'PT422';
  end if;
  if coalesce(cardinality(p_shard_nos), 0) = 0 and v_job.tail_complete then
    raise exception 'export job % has nothing to re-run', p_job_id using errcode = 'PT422';
  end if;

  update public.export_shards set status = 'rerun_requested', problem = left(p_problem, 500)
  where job_id = p_job_id and shard_no = any (coalesce(p_shard_nos, '{}'));
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

create trigger export_jobs_plan_lanes before insert on public.export_jobs
  for each row execute function private.plan_export_lanes();
create trigger export_jobs_create_lanes after insert on public.export_jobs
  for each row execute function private.create_export_lanes();

-- The first migrations' functions that stay get a fixed search_path too (they name every object fully).
alter function public.end_export_invocation(uuid, text, int, int, bigint, text) set search_path = '';
alter function public.record_export_shard_problem(uuid, int, text) set search_path = '';
alter function private.lock_export_or_404(uuid) set search_path = '';
alter function private.touch_updated_at() set search_path = '';

-- Internal: only the service role (worker, API routes, sweep) runs the state machine.
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.claim_export_lane(uuid, int, int, jsonb)',
    'public.record_export_shard(uuid, int, uuid, bigint, int, int, bigint, bigint, int, bigint, int, text, text, int, int, boolean)',
    'public.heartbeat_export_lane(uuid, int, uuid, bigint)',
    'public.register_export_heir(uuid, int, uuid)',
    'public.await_export_baton(uuid, int, uuid, int)',
    'public.hand_off_export_lane(uuid, int, uuid, bigint)',
    'public.finish_export_lane(uuid, int, uuid, bigint)',
    'public.acknowledge_export_cancel(uuid, int, uuid, bigint)',
    'public.fail_export_lane(uuid, int, uuid, bigint, text, text, boolean)',
    'public.request_export_cancel(uuid)',
    'public.request_export_rerun(uuid, int[], text)',
    'public.sweep_export_jobs()',
    'private.is_strictly_ascending(bigint[])',
    'private.plan_export_lanes()',
    'private.create_export_lanes()',
    'private.refresh_export_progress(uuid)',
    'private.notify_export_outcome(uuid, text)',
    'private.finalise_export(uuid, text)',
    'private.settle_export_job(uuid)',
    'private.reap_expired_lanes(uuid)',
    'private.cancel_idle_lanes(uuid)',
    'private.waiting_lanes()',
    'private.lanes_to_kick(int)',
    'private.should_yield(uuid, int)',
    'private.lane_work(uuid, int, uuid)',
    'private.lock_leased_lane(uuid, int, uuid, bigint)',
    'private.lock_job_for_lane(uuid)',
    'private.pass_lane(uuid, public.export_lanes)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
