-- Export jobs, their lanes, the invocations that worked on them, and notifications: the tables of the
-- state machine (its functions: 20261206000400_export_state_machine.sql).
--
-- Contract:
-- * `export_jobs` is small on purpose: whatever feeds the job row to browsers sends all of it on every
--   change. Progress counters on it (and the compact per-lane `lanes` array) are coalesced by the state
--   machine, at most once per progress interval per job and at every lane state change; the manifest
--   (`export_shards`) is always exact.
-- * A job's key range is split into lanes at start (`lane_bounds`: the inner upper bounds, found by the
--   API from counts of `key:<=x`); insert triggers give the job its `lanes` array and one `export_lanes`
--   row per lane, so a job never exists without them. Each lane is an independent chain: its own cursor,
--   lease (owner, short expiry, generation that only grows), heir (warm hand-off), attempts and backoff.
--   A kill, failure or slow page in one lane never touches another lane's lease.
-- * `export_invocations` has one row per invocation of the worker, declined ones too: the timeline support
--   reads (started, ended, why, shards and rows written, CPU, wall time, peak heap).
-- * `notifications` are unique per (job, run, kind): a second insert of the same outcome of the same run
--   is a no-op (invariant 6), enforced by the constraint, never by check-then-insert. Every re-run is a new
--   run (`run_no`) with its own notifications.
-- * A job names who started it (`requested_by`), who must be allowed to start exports there; users keep
--   their organisation's history when a member is deleted (`requested_by` is set null).
-- * Users read all of these through RLS by organisation membership (invariant 8); every change goes
--   through the SQL functions of the state machine, with the service role.

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

create table public.export_jobs (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  source_id uuid not null references public.export_sources (id) on delete restrict,
  requested_by uuid references auth.users (id) on delete set null,

  -- What to export, fixed when the job starts so every shard has the same columns.
  collection text not null,
  key_field text not null,
  mandatory_filter text,
  filter text check (filter is null or length(filter) <= 2000),
  fields text[] not null check (cardinality(fields) between 1 and 500),
  format text not null check (format in ('csv', 'ndjson')),
  -- Typesense serves at most 250 hits a page.
  page_size int not null default 250 check (page_size between 1 and 250),
  neutralise_formulas boolean not null default true,

  -- Derived from the lanes by the state machine (settle_export_job).
  status text not null default 'queued'
    check (status in ('queued', 'running', 'retrying', 'completed', 'failed', 'cancelled')),
  cancel_requested_at timestamptz,

  -- `found` at start; compared with rows_written when the job completes (a mismatch is shown, never hidden).
  estimated_rows bigint not null check (estimated_rows >= 0),
  shards_written int not null default 0,
  rows_written bigint not null default 0,
  -- Bytes of the downloadable file: the CSV header once, every other shard's header stripped.
  bytes_written bigint not null default 0,
  -- Every lane's key range is exhausted.
  tail_complete boolean not null default false,

  -- The lanes' attempts and last error, shown on the job (the lane with the most attempts).
  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 5 check (max_attempts between 1 and 50),
  next_retry_at timestamptz,
  last_error text,
  last_error_kind text,

  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now(),

  -- Inner lane bounds: lane k holds keys in (bounds[k-1], bounds[k]]; the first lane starts at the
  -- beginning, the last one runs to the end. Empty: one lane.
  lane_bounds bigint[] not null default '{}'
    check (cardinality(lane_bounds) <= 7 and array_position(lane_bounds, null) is null and private.is_strictly_ascending(lane_bounds)),
  lane_count smallint generated always as (cardinality(lane_bounds) + 1) stored,
  -- Per-lane progress for the dashboard ([{lane, status, shards, rows, estimated, attempts}]), kept with the
  -- other counters so whatever feeds the job row to browsers carries it.
  lanes jsonb not null default '[]',
  -- 1 for the first run; every re-run is a new run with its own notifications.
  run_no int not null default 1 check (run_no >= 1),
  -- A budget set for this job's invocations (tests, benchmarks, support); survives hand-offs and the sweep.
  budget_time_ms int check (budget_time_ms between 200 and 400000),
  budget_cpu_ms int check (budget_cpu_ms between 50 and 400000),
  -- The compressed (gzip) file's exact size: the header member once, every other shard's header member
  -- skipped. Null while any written shard is stored plain (that file has no compressed form) or nothing
  -- is written.
  gzip_bytes_written bigint,
  -- Defaults to "<source label> · <filter or all records> · <UTC date and time>" (the export_jobs_name
  -- trigger), so identical exports can be told apart; people rename it through the API. The empty default
  -- only says "not given", so inserts may leave it out.
  name text not null default '' check (name is null or length(name) between 1 and 200)
);
create index export_jobs_organisation_created_idx on public.export_jobs (organisation_id, created_at desc);
create index export_jobs_sweep_idx on public.export_jobs (status) where status in ('queued', 'running', 'retrying');

-- When the job row last changed: the state machine writes progress to it at most once per interval.
create function private.touch_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
create trigger export_jobs_touch_updated_at before update on public.export_jobs
  for each row execute function private.touch_updated_at();

-- A job names who started it; that person must be allowed to start exports there.
create function private.check_export_requester()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.requested_by is not null then
    perform private.require_export_operator(new.organisation_id, new.requested_by);
  end if;
  return new;
end
$$;

create trigger check_export_requester
  before insert on public.export_jobs
  for each row execute function private.check_export_requester();

create function private.default_export_name(p_source_id uuid, p_filter text, p_created_at timestamptz)
returns text
language sql
stable
set search_path = ''
as $$
  select left(
    concat_ws(' · ',
      coalesce((select s.label from public.export_sources s where s.id = p_source_id), 'Export'),
      case when p_filter is null then 'all records'
           when length(p_filter) > 60 then left(p_filter, 59) || '…'
           else p_filter end,
      to_char(p_created_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
    200)
$$;

create function private.name_export_job() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.name := coalesce(nullif(btrim(new.name), ''), private.default_export_name(new.source_id, new.filter, new.created_at));
  return new;
end
$$;

create trigger export_jobs_name before insert on public.export_jobs
  for each row execute function private.name_export_job();

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
  baton_after_key bigint,
  primary key (job_id, lane_no),
  check (key_after is null or key_upper is null or key_after < key_upper)
);
create index export_lanes_active_idx on public.export_lanes (status) where status in ('queued', 'running', 'retrying');

comment on column public.export_lanes.baton_after_key is
  'Set by the lease holder for its registered heir: the key its last page ends at (the heir''s first page starts after it). Cleared when an heir registers.';

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

create trigger export_jobs_plan_lanes before insert on public.export_jobs
  for each row execute function private.plan_export_lanes();
create trigger export_jobs_create_lanes after insert on public.export_jobs
  for each row execute function private.create_export_lanes();

-- ---- Invocations and notifications -----------------------------------------------------------------

create table public.export_invocations (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  -- The lease generation it held; null when the invocation did not get the lease.
  generation bigint,
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  shards_written int not null default 0,
  rows_written bigint not null default 0,
  end_reason text,
  cpu_ms int,
  wall_ms int,
  -- Largest V8 heap seen after a shard: the evidence that memory is O(page), not O(export).
  peak_heap_bytes bigint,
  error text,
  lane_no smallint,
  last_heartbeat_at timestamptz,
  constraint export_invocations_end_reason_check
    check (end_reason in ('handoff', 'completed', 'cancelled', 'error', 'lease_lost', 'killed', 'declined', 'stopped'))
);
create index export_invocations_job_idx on public.export_invocations (job_id, started_at);

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  kind text not null check (kind in ('export_completed', 'export_failed', 'export_cancelled')),
  title text not null,
  body text not null,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  run_no int not null default 1,
  constraint notifications_one_per_run_and_kind unique (job_id, run_no, kind)
);
create index notifications_user_created_idx on public.notifications (user_id, created_at desc);

-- ---- RLS and privileges -----------------------------------------------------------------------------

-- Members read their organisation's jobs and everything hanging off them.
alter table public.export_jobs enable row level security;
alter table public.export_lanes enable row level security;
alter table public.export_invocations enable row level security;
alter table public.notifications enable row level security;

create policy "Members can see their organisation's export jobs" on public.export_jobs
  for select to authenticated using (organisation_id = any (array(select private.member_organisations())));

create policy "Members can see lanes of jobs they can see" on public.export_lanes
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see invocations of jobs they can see" on public.export_invocations
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Users can see their own notifications" on public.notifications
  for select to authenticated using (user_id = (select auth.uid()));

create policy "Users can mark their own notifications read" on public.notifications
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

revoke all on public.export_jobs, public.export_lanes, public.export_invocations, public.notifications from anon;
revoke insert, update, delete, truncate on public.export_jobs, public.export_lanes, public.export_invocations,
  public.notifications from authenticated;
-- The only write a user makes directly: marking a notification read.
grant update (read_at) on public.notifications to authenticated;

-- Internal: only the service role runs these (the triggers run them as the table's writer).
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'private.is_strictly_ascending(bigint[])',
    'private.default_export_name(uuid, text, timestamptz)',
    'private.name_export_job()',
    'private.plan_export_lanes()',
    'private.create_export_lanes()'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
revoke execute on function private.check_export_requester() from public, anon, authenticated;
