-- What support reads to answer "what happened to this export, and to shard 1,234": every failed attempt
-- of a shard, the facts only a person causes (who cancelled, who re-ran what, who downloaded), each
-- run's outcome, and a name people can tell exports apart by.
--
-- Contract:
-- * `export_shard_failures` keeps every failed attempt of a shard: when, which invocation, which lane,
--   the error, and what the lane did next (retry after a backoff, fail, or — a killed holder — requeue at
--   once). It is written by a trigger on `export_lanes` whenever a lane counts an attempt (the state
--   machine's `fail_export_lane` and its lease reaper both do), so no state-machine function changes. The
--   shard is the one the lane was writing: its first shard still waiting for a re-run (re-runs go first,
--   in lane order), else the lane's next tail shard. A tail shard has no job-wide number until it is
--   recorded, so a failure names it by (lane, lane_seq); the manifest row of the same (lane, lane_seq)
--   is that shard once written.
-- * `export_events` holds the facts the other tables do not: cancel requested, re-run requested (which
--   shards, whether the unwritten rest), each run's outcome (completed / failed / cancelled: the job row
--   only keeps the latest), renames, downloads. Triggers on `export_jobs` write all but downloads (the
--   download route calls `record_export_download`). "By whom": the API routes act with the secret key on a user's behalf
--   and send the user's id in the `x-baton-actor` request header, which PostgREST exposes to SQL as
--   `request.headers`; the triggers read it there. Changes by the worker or the sweep carry no actor.
-- * Everything else on the activity timeline is derived from what is already recorded: the job (created,
--   by whom, parameters), its lanes (the plan), invocations (each run of the worker, hand-offs, kills),
--   shards and replaced attempts.
-- * `export_jobs.name` defaults to "<source label> · <filter or all records> · <UTC date and time>", so
--   identical exports can be told apart; people rename it through the API.
-- * Notifications name the export and format their numbers ("66,769 rows in 1 shard").
-- * Users read the new tables through RLS by organisation membership, like the rest of a job; only the
--   service role writes them.

-- ---- Names ------------------------------------------------------------------------------------------

alter table public.export_jobs add column name text check (name is null or length(name) between 1 and 200);

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

update public.export_jobs set name = private.default_export_name(source_id, filter, created_at) where name is null;
-- The empty default only says "not given" (so inserts may leave it out): the trigger below names the job.
alter table public.export_jobs alter column name set default '', alter column name set not null;

create trigger export_jobs_name before insert on public.export_jobs
  for each row execute function private.name_export_job();

-- ---- Failed attempts of shards ----------------------------------------------------------------------

create table public.export_shard_failures (
  id bigint generated always as identity primary key,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  run_no int not null,
  -- The shard: its lane and place in the lane (the manifest row with the same pair, once written).
  lane smallint not null,
  lane_seq int not null,
  -- The invocation that held the lane when it failed (null only if the lane had no holder).
  invocation_id uuid,
  -- The lane's attempt count after this failure, and the job's cap: "attempt 2 of 5".
  attempt int not null check (attempt >= 1),
  max_attempts int not null,
  error_kind text,
  error text,
  -- What the lane did next: retry after `next_retry_at`, fail for good, or (a killed holder) queue at once.
  outcome text not null check (outcome in ('retrying', 'failed', 'requeued')),
  next_retry_at timestamptz,
  failed_at timestamptz not null default now()
);
create index export_shard_failures_job_idx on public.export_shard_failures (job_id, lane, lane_seq);

create function private.record_shard_failure() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_rerun int;
begin
  select * into v_job from public.export_jobs where id = new.job_id;
  -- Re-runs are written first, in lane order: the first one still waiting is the one that failed.
  select min(s.lane_seq) into v_rerun from public.export_shards s
  where s.job_id = new.job_id and s.lane = new.lane_no and s.status = 'rerun_requested';
  insert into public.export_shard_failures
    (job_id, run_no, lane, lane_seq, invocation_id, attempt, max_attempts, error_kind, error, outcome, next_retry_at)
  values (new.job_id, v_job.run_no, new.lane_no, coalesce(v_rerun, old.next_seq), old.lease_owner, new.attempts,
          v_job.max_attempts, new.last_error_kind, new.last_error,
          case new.status when 'retrying' then 'retrying' when 'failed' then 'failed' else 'requeued' end,
          new.next_retry_at);
  return null;
end
$$;

create trigger export_lanes_record_shard_failure
  after update of attempts on public.export_lanes
  for each row when (new.attempts > old.attempts)
  execute function private.record_shard_failure();

-- ---- Events -----------------------------------------------------------------------------------------

create table public.export_events (
  id bigint generated always as identity primary key,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  run_no int not null,
  kind text not null check (kind in ('cancel_requested', 'rerun_requested', 'completed', 'failed', 'cancelled',
                                     'renamed', 'downloaded')),
  -- Who did it (null: the system, or a member since deleted).
  actor uuid references auth.users (id) on delete set null,
  -- rerun_requested: {shard_ranges: [[from, to], …], tail}; outcomes: {rows, shards, error_kind, error};
  -- renamed: {from, to}; downloaded: {form, partial, bytes}.
  detail jsonb not null default '{}',
  at timestamptz not null default now()
);
create index export_events_job_idx on public.export_events (job_id, at);

-- The user an API route acts for (see the contract), or null.
create function private.request_actor()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_actor text := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-baton-actor';
begin
  if v_actor ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return v_actor::uuid;
  end if;
  return null;
end
$$;

-- Shard numbers as ascending ranges: {3,4,5,9} → [[3,5],[9,9]].
create function private.shard_ranges(p_job_id uuid, p_status text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_array(lo, hi) order by lo), '[]'::jsonb)
  from (
    select min(shard_no) as lo, max(shard_no) as hi
    from (select shard_no, shard_no - row_number() over (order by shard_no) as island
          from public.export_shards where job_id = p_job_id and status = p_status) s
    group by island
  ) r
$$;

create function private.record_export_job_events() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.cancel_requested_at is null and new.cancel_requested_at is not null then
    insert into public.export_events (job_id, run_no, kind, actor, at)
    values (new.id, new.run_no, 'cancel_requested', private.request_actor(), new.cancel_requested_at);
  end if;
  if new.run_no > old.run_no then
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (new.id, new.run_no, 'rerun_requested', private.request_actor(), jsonb_build_object(
      'shard_ranges', private.shard_ranges(new.id, 'rerun_requested'),
      'tail', exists (select 1 from public.export_lanes l where l.job_id = new.id and not l.tail_complete)));
  end if;
  if new.status is distinct from old.status and new.status in ('completed', 'failed', 'cancelled') then
    -- From the manifest: the job row's counters are refreshed after its status changes.
    insert into public.export_events (job_id, run_no, kind, detail)
    select new.id, new.run_no, new.status, jsonb_build_object(
      'rows', coalesce(sum(s.rows), 0), 'shards', count(*),
      'error_kind', new.last_error_kind, 'error', new.last_error)
    from public.export_shards s where s.job_id = new.id and s.status = 'written';
  end if;
  if new.name is distinct from old.name then
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (new.id, new.run_no, 'renamed', private.request_actor(), jsonb_build_object('from', old.name, 'to', new.name));
  end if;
  return null;
end
$$;

create trigger export_jobs_record_events
  after update on public.export_jobs
  for each row execute function private.record_export_job_events();

-- The download route (a whole-file GET) puts each download on the timeline, for the current run.
create function public.record_export_download(p_job_id uuid, p_actor uuid, p_detail jsonb)
returns void
language sql
set search_path = ''
as $$
  insert into public.export_events (job_id, run_no, kind, actor, detail)
  select j.id, j.run_no, 'downloaded', p_actor, p_detail from public.export_jobs j where j.id = p_job_id
$$;

-- ---- Notifications: which export, numbers people read -----------------------------------------------

create function private.format_count(p_value bigint, p_one text, p_many text)
returns text
language sql
immutable
set search_path = ''
as $$
  select to_char(p_value, 'FM999,999,999,999,990') || ' ' || case when p_value = 1 then p_one else p_many end
$$;

-- As before (one per job, run and outcome; the unique constraint decides), with the export's name in the
-- title and its short id in the body.
create or replace function private.notify_export_outcome(p_job_id uuid, p_kind text)
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

-- ---- Who is who -------------------------------------------------------------------------------------

-- Members of the caller's organisations with their email, so the dashboard can say who started,
-- cancelled or re-ran an export. Users cannot read auth.users; this shows only their colleagues.
create function public.organisation_members()
returns table (user_id uuid, email text)
language sql
stable
security definer
set search_path = ''
as $$
  select distinct u.id, u.email
  from public.memberships mine
  join public.memberships theirs on theirs.organisation_id = mine.organisation_id
  join auth.users u on u.id = theirs.user_id
  where mine.user_id = (select auth.uid())
$$;

-- ---- RLS and privileges -----------------------------------------------------------------------------

alter table public.export_shard_failures enable row level security;
alter table public.export_events enable row level security;

create policy "Members can see failed shard attempts of jobs they can see" on public.export_shard_failures
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see events of jobs they can see" on public.export_events
  for select to authenticated using (job_id in (select id from public.export_jobs));

revoke all on public.export_shard_failures, public.export_events from anon;
revoke insert, update, delete, truncate on public.export_shard_failures, public.export_events from authenticated;

revoke execute on function public.organisation_members() from public, anon;
grant execute on function public.organisation_members() to authenticated, service_role;

do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'private.default_export_name(uuid, text, timestamptz)',
    'private.name_export_job()',
    'private.record_shard_failure()',
    'private.request_actor()',
    'private.shard_ranges(uuid, text)',
    'private.record_export_job_events()',
    'private.format_count(bigint, text, text)',
    'private.notify_export_outcome(uuid, text)',
    'public.record_export_download(uuid, uuid, jsonb)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
