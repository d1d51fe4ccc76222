-- System health for support and admins: one read, `public.system_health()`, behind the dashboard's
-- /system page (issue 23, item 5).
--
-- Contract:
-- * Only the roles support and admin may read it, and only about the organisations where the caller
--   holds one of them: a support user of one agency sees that agency's lanes, invocations, errors and
--   storage, never another's — not even as a total. Anyone else (viewer, member, no membership, not
--   signed in) gets 42501 (a 403 in the API) with a sentence naming their role; nothing else leaks.
-- * Per organisation: lanes holding a lease against the per-organisation cap, lanes queued and waiting
--   for their retry, exports in each of those states (what the dashboard links to), worker invocations
--   started in the last minute (declined calls counted apart), failed attempts in the last hour by
--   error kind and by export, and the bytes the manifest says are stored.
-- * For the whole deployment, only what belongs to no organisation: the caps (settings), when the
--   sweep last ran and how often it runs, and deadlocks Postgres detected in the last hour (a
--   database-wide counter: it names no organisation and no export).
--
-- The sweep records each run in `private.export_sweep_runs` (time, and the database's deadlock counter
-- then), kept for two hours: the last run is what support asks about when queued work does not move, and
-- the counter an hour ago turns Postgres's running total into "in the last hour". Hosted, pg_cron's own
-- schedule is read too.

create table private.export_sweep_runs (
  id bigint generated always as identity primary key,
  ran_at timestamptz not null default now(),
  -- pg_stat_database.deadlocks of this database when the sweep ran: a running total since stats reset.
  deadlocks bigint not null
);
create index export_sweep_runs_ran_at_idx on private.export_sweep_runs (ran_at);
grant select, insert, delete on private.export_sweep_runs to service_role;

-- Unchanged but for the first two statements: the run is recorded, and runs older than two hours go.
create or replace function public.sweep_export_jobs()
returns table (job_id uuid, lane_no int)
language plpgsql
set search_path = ''
as $$
declare
  v_job_id uuid;
begin
  insert into private.export_sweep_runs (deadlocks)
  select d.deadlocks from pg_catalog.pg_stat_database d where d.datname = current_database();
  delete from private.export_sweep_runs r where r.ran_at < now() - interval '2 hours';

  perform private.flush_export_list_feeds();
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
    from jsonb_array_elements(private.lanes_to_kick(100)) k
    union all
    select c.job_id, 1
    from private.export_storage_cleanups c
    where c.done_at is null and c.due_at <= now()
      and (c.started_at is null or c.started_at < now() - interval '1 minute');
end
$$;

-- Figures of one organisation (the caller's role there already checked by system_health).
create function private.organisation_health(p_organisation_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  with jobs as (
    select j.id, j.name, j.status, j.cancel_requested_at from public.export_jobs j
    where j.organisation_id = p_organisation_id
  ),
  active_lanes as (
    select l.* from public.export_lanes l join jobs j on j.id = l.job_id
    where j.status in ('queued', 'running', 'retrying')
  ),
  recent_failures as (
    select f.job_id, f.error_kind from public.export_shard_failures f join jobs j on j.id = f.job_id
    where f.failed_at > now() - interval '1 hour'
  ),
  recent_invocations as (
    select i.end_reason from public.export_invocations i join jobs j on j.id = i.job_id
    where i.started_at > now() - interval '1 minute'
  ),
  -- What the manifest says is stored, in one pass: a gzip shard's object is its gzip form.
  stored as (
    select count(distinct s.job_id) as stored_exports,
           coalesce(sum(case when s.encoding = 'gzip' then s.gzip_bytes else s.bytes end), 0) as bytes
    from public.export_shards s join jobs j on j.id = s.job_id
  )
  select jsonb_build_object(
    'running_lanes', (select count(*) from active_lanes l where l.lease_owner is not null and l.lease_expires_at >= now()),
    'queued_lanes', (select count(*) from active_lanes l where l.lease_owner is null and l.status = 'queued'),
    'retrying_lanes', (select count(*) from active_lanes l where l.lease_owner is null and l.status = 'retrying'),
    'exports', jsonb_build_object(
      'queued', (select count(*) from jobs where status = 'queued'),
      'running', (select count(*) from jobs where status = 'running' and cancel_requested_at is null),
      'retrying', (select count(*) from jobs where status = 'retrying'),
      'stored', (select stored_exports from stored)
    ),
    'invocations_last_minute', (select count(*) from recent_invocations where end_reason is distinct from 'declined'),
    'declined_last_minute', (select count(*) from recent_invocations where end_reason = 'declined'),
    'errors_last_hour', (select count(*) from recent_failures),
    'errors_by_kind', coalesce((
      select jsonb_agg(jsonb_build_object('kind', k.kind, 'count', k.n) order by k.n desc, k.kind)
      from (select f.error_kind as kind, count(*) as n from recent_failures f group by f.error_kind) k
    ), '[]'::jsonb),
    -- The exports behind the errors, most errors first (the page links each).
    'exports_with_errors', coalesce((
      select jsonb_agg(jsonb_build_object('id', e.id, 'name', e.name, 'count', e.n) order by e.n desc, e.name)
      from (select j.id, j.name, count(*) as n from recent_failures f join jobs j on j.id = f.job_id
            group by j.id, j.name order by count(*) desc, j.name limit 10) e
    ), '[]'::jsonb),
    'storage_bytes', (select bytes from stored)
  )
$$;
revoke execute on function private.organisation_health(uuid) from public, anon, authenticated;

-- The system health page's one read; 42501 unless the caller is support or admin somewhere.
create function public.system_health()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_roles text;
  v_settings private.export_settings;
  v_deadlocks bigint;
  v_sample private.export_sweep_runs;
  v_schedule text;
  v_interval numeric;
  v_last_run timestamptz;
  v_organisations jsonb;
begin
  -- The organisations where the caller is support or admin; none, and the page is not theirs.
  select jsonb_agg(jsonb_build_object('id', o.id, 'name', o.name, 'role', m.role)
                   || private.organisation_health(o.id) order by o.name, o.id) into v_organisations
  from public.memberships m join public.organisations o on o.id = m.organisation_id
  where m.user_id = v_user and m.role in ('support', 'admin');
  if v_organisations is null then
    select string_agg(distinct m.role, ' or ' order by m.role) into v_roles
    from public.memberships m where m.user_id = v_user;
    raise exception 'System health is for the support and admin roles; your role is %. Ask an admin of your organisation if you need it.',
      coalesce(v_roles, 'none (you are in no organisation)')
      using errcode = '42501';
  end if;

  select * into v_settings from private.export_settings;
  select d.deadlocks into v_deadlocks from pg_catalog.pg_stat_database d where d.datname = current_database();
  -- The oldest run within the hour: the counter then is the baseline (none yet: not known).
  select * into v_sample from private.export_sweep_runs r
  where r.ran_at >= now() - interval '1 hour' order by r.ran_at limit 1;
  -- How often the sweep runs, from the gaps between its last runs (hosted and devstack alike).
  select extract(epoch from max(r.ran_at) - min(r.ran_at)) / nullif(count(*) - 1, 0), max(r.ran_at)
  into v_interval, v_last_run
  from (select ran_at from private.export_sweep_runs order by ran_at desc limit 10) r;
  if to_regclass('cron.job') is not null then
    execute $q$select schedule from cron.job where jobname = 'baton-export-sweep'$q$ into v_schedule;
  end if;

  return jsonb_build_object(
    'generated_at', now(),
    'caps', jsonb_build_object(
      'max_running_lanes', v_settings.max_running_lanes,
      'max_running_lanes_per_org', v_settings.max_running_lanes_per_org
    ),
    'sweep', jsonb_build_object(
      'last_run_at', v_last_run,
      'interval_seconds', round(v_interval, 1),
      'schedule', v_schedule
    ),
    'deadlocks', jsonb_build_object(
      'count', case when v_sample.id is null then null else greatest(v_deadlocks - v_sample.deadlocks, 0) end,
      'since', v_sample.ran_at
    ),
    'organisations', v_organisations
  );
end
$$;
revoke execute on function public.system_health() from public, anon;
grant execute on function public.system_health() to authenticated, service_role;

comment on column public.memberships.role is 'viewer: sees and downloads exports. member, support, admin: also start, rename, cancel, re-run and verify them. support, admin: also read system health (system_health()) of the organisation.';
