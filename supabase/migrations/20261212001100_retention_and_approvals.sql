-- Files that expire, and large exports that wait for an admin.
--
-- Retention. Each organisation keeps an ended export's files (completed, cancelled or failed) for
-- `retention_days` (1–365, default 30) after it ended. `export_jobs.expires_at` is that moment, kept on
-- the row (set when the job ends, cleared by a re-run, recomputed when an admin changes the period or
-- pins the export) so the list, the download and the sweep read one column. An admin pins an export by
-- keeping it until a date (`kept_until`): it then expires at the later of the two, and unpinning gives it
-- back the organisation's period. A date rather than "keep for ever": a pinned file still leaves storage
-- one day, and the page can say when.
--
-- The sweep kicks a worker (as lane 1, like the storage clean-up) for at most `expiry_batch` expired
-- exports a run. The worker takes the expiry (`begin_export_expiry`; a taken expiry whose worker died is
-- taken again a minute later), lists each lane folder through the Storage API, removes every object in
-- batches, and ends it (`end_export_expiry`): `expired_at` is set, an `expired` event is recorded. Objects
-- never leave through `storage.objects` (hosted Supabase forbids deleting from it). A removal killed half
-- way leaves the expiry taken and not ended: the next take lists what is left, so the sweep finishes it.
-- The job's status keeps how its run ended (what support needs); `expired_at` says its files are gone.
-- The manifest, the invocations and the activity stay.
--
-- Approvals. An organisation may set `approval_threshold` (records; null = off). A new export whose
-- estimate is above it is held: `approval = 'pending'`, its lanes queued with no due time (`next_retry_at
-- = 'infinity'`), which neither a claim nor the sweep's kicks take, so no worker starts. Every admin of the
-- organisation is notified. An admin approves (the lanes become due; the API kicks them) or declines with
-- a reason (the export ends cancelled, the requester is told why). Each step is an event in the activity.
-- Below the threshold, or with none, nothing changes.

alter table public.organisations
  add column retention_days int not null default 30 check (retention_days between 1 and 365),
  add column approval_threshold bigint check (approval_threshold is null or approval_threshold between 1 and 1000000000000);
comment on column public.organisations.retention_days is 'Days an ended export''s files are kept after it ended (1–365). Admins change it (update_organisation_settings).';
comment on column public.organisations.approval_threshold is 'Estimated records above which a new export waits for an admin''s approval; null: no approval needed.';

alter table public.export_jobs
  add column expires_at timestamptz,
  add column kept_until timestamptz,
  add column expired_at timestamptz,
  add column approval text check (approval in ('pending', 'approved', 'declined')),
  add column approval_reason text check (approval_reason is null or length(approval_reason) between 1 and 500);
comment on column public.export_jobs.expires_at is 'When the files of this ended export are removed: its end plus the organisation''s retention, or kept_until if later. Null while it runs.';
comment on column public.export_jobs.kept_until is 'An admin''s pin: keep the files at least until then (null: the organisation''s retention applies).';
comment on column public.export_jobs.expired_at is 'When the sweep removed the files (the manifest and history stay). A download answers 410.';
comment on column public.export_jobs.approval is 'pending: waits for an admin (estimate above the organisation''s threshold); approved; declined (the export ended cancelled). Null: none was needed.';

create index export_jobs_expiry_idx on public.export_jobs (expires_at)
  where expired_at is null and expires_at is not null;

alter table private.export_settings
  add column expiry_batch int not null default 20 check (expiry_batch between 1 and 1000);
comment on column private.export_settings.expiry_batch is 'Expired exports the sweep hands to workers in one run.';

alter table public.export_events drop constraint export_events_kind_check;
alter table public.export_events add constraint export_events_kind_check check (kind in (
  'cancel_requested', 'rerun_requested', 'completed', 'failed', 'cancelled', 'renamed', 'downloaded',
  'approval_requested', 'approved', 'declined', 'kept', 'expired'));

alter table public.notifications drop constraint notifications_kind_check;
alter table public.notifications add constraint notifications_kind_check check (kind in (
  'export_completed', 'export_failed', 'export_cancelled', 'export_approval_requested'));
-- One of each kind per run and user: an approval request goes to every admin (the terminal kinds go to
-- the requester only, so they stay one per outcome of each run).
alter table public.notifications drop constraint notifications_one_per_run_and_kind;
alter table public.notifications add constraint notifications_one_per_run_and_kind unique (job_id, run_no, kind, user_id);

-- ---- retention ---------------------------------------------------------------------------------

-- When an ended job's files expire: its end plus the organisation's period, or the pin if later.
create function private.export_expiry(p_organisation_id uuid, p_finished_at timestamptz, p_kept_until timestamptz)
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
  select greatest(coalesce(p_finished_at, now()) + make_interval(days => o.retention_days), p_kept_until)
  from public.organisations o where o.id = p_organisation_id
$$;
revoke execute on function private.export_expiry(uuid, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function private.export_expiry(uuid, timestamptz, timestamptz) to service_role;

-- Security definer: a job ends in whoever's transaction ends it (the worker's, a member's cancel).
create function private.stamp_export_expiry()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status in ('completed', 'failed', 'cancelled') then
    if new.expired_at is null
       and (old.status is distinct from new.status or old.kept_until is distinct from new.kept_until
            or new.expires_at is null) then
      new.expires_at := private.export_expiry(new.organisation_id, new.finished_at, new.kept_until);
    end if;
  else
    new.expires_at := null;
  end if;
  return new;
end
$$;
revoke execute on function private.stamp_export_expiry() from public, anon, authenticated;

create trigger export_jobs_stamp_expiry
  before update on public.export_jobs
  for each row execute function private.stamp_export_expiry();

-- A re-run needs the files it repairs: once they expired (or are due to), only a new export helps. A
-- declined export is not re-run either: that would start it without the approval it was refused.
create function private.refuse_rerun_of_expired()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.run_no > old.run_no and (old.expired_at is not null or old.expires_at <= now()) then
    raise exception 'The files of this export have expired and were removed; use "Run again" to start a new export with the same settings.'
      using errcode = 'PT409';
  end if;
  if new.run_no > old.run_no and old.approval = 'declined' then
    raise exception 'An admin declined this export; use "Run again" to start a new one, which asks for approval again.'
      using errcode = 'PT409';
  end if;
  return new;
end
$$;
revoke execute on function private.refuse_rerun_of_expired() from public, anon, authenticated;

create trigger export_jobs_refuse_rerun_of_expired
  before update of run_no on public.export_jobs
  for each row execute function private.refuse_rerun_of_expired();

-- The organisation's admins, or a 42501 naming what needs the role.
create function private.require_org_admin(p_organisation_id uuid, p_action text)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.memberships m
                 where m.organisation_id = p_organisation_id and m.user_id = (select auth.uid()) and m.role = 'admin') then
    raise exception 'Only an admin of this organisation can %. Ask one of its admins.', p_action using errcode = '42501';
  end if;
end
$$;
revoke execute on function private.require_org_admin(uuid, text) from public, anon, authenticated;

-- An admin changes the retention period and the approval threshold (null: no approvals); ended exports
-- not yet expired take the new period at once (a shorter one can make some due at the next sweep).
create function public.update_organisation_settings(p_organisation_id uuid, p_retention_days int, p_approval_threshold bigint default null)
returns public.organisations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org public.organisations;
begin
  perform private.require_org_admin(p_organisation_id, 'change the organisation''s settings');
  if p_retention_days is null or p_retention_days not between 1 and 365 then
    raise exception 'The retention period must be a whole number of days from 1 to 365.' using errcode = 'PT422';
  end if;
  if p_approval_threshold is not null and p_approval_threshold not between 1 and 1000000000000 then
    raise exception 'The approval threshold must be a number of records of at least 1, or empty for no approvals.' using errcode = 'PT422';
  end if;
  update public.organisations
  set retention_days = p_retention_days, approval_threshold = p_approval_threshold
  where id = p_organisation_id
  returning * into v_org;
  update public.export_jobs j
  set expires_at = private.export_expiry(j.organisation_id, j.finished_at, j.kept_until)
  where j.organisation_id = p_organisation_id and j.status in ('completed', 'failed', 'cancelled')
    and j.expired_at is null
    and j.expires_at is distinct from private.export_expiry(j.organisation_id, j.finished_at, j.kept_until);
  return v_org;
end
$$;
revoke execute on function public.update_organisation_settings(uuid, int, bigint) from public, anon;
grant execute on function public.update_organisation_settings(uuid, int, bigint) to authenticated;

-- An admin keeps an export's files until a date (within a year), or (null) gives it back the period.
create function public.keep_export(p_job_id uuid, p_until timestamptz default null)
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  select * into v_job from public.export_jobs j
  where j.id = p_job_id and j.organisation_id = any (array(select private.member_organisations()))
  for update;
  if not found then
    raise exception 'export job % not found', p_job_id using errcode = 'PT404';
  end if;
  perform private.require_org_admin(v_job.organisation_id, 'keep an export longer');
  if v_job.expired_at is not null or exists (select 1 from private.export_expiries e where e.job_id = p_job_id) then
    raise exception 'The files of this export have expired (or are being removed); use "Run again" for a new one.'
      using errcode = 'PT409';
  end if;
  if p_until is not null and (p_until <= now() or p_until > now() + interval '366 days') then
    raise exception 'Keep it until a date in the future, at most a year from today.' using errcode = 'PT422';
  end if;
  update public.export_jobs set kept_until = p_until where id = p_job_id returning * into v_job;
  insert into public.export_events (job_id, run_no, kind, actor, detail)
  values (p_job_id, v_job.run_no, 'kept', (select auth.uid()), jsonb_build_object('until', p_until));
  return v_job;
end
$$;
revoke execute on function public.keep_export(uuid, timestamptz) from public, anon;
grant execute on function public.keep_export(uuid, timestamptz) to authenticated;

-- What the organisation's export files take in storage: in total and per export (not expired), as the
-- manifest records them (the stored form: gzip members where the shard is stored so).
create function public.organisation_storage_use(p_organisation_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_org_admin(p_organisation_id, 'see the organisation''s storage use');
  return (
    with per_export as (
      select j.id, j.name, j.status, j.expires_at, j.kept_until,
             coalesce(sum(case when s.encoding = 'gzip' then s.gzip_bytes else s.bytes end), 0)::bigint as bytes
      from public.export_jobs j
      left join public.export_shards s on s.job_id = j.id
      where j.organisation_id = p_organisation_id and j.expired_at is null
      group by j.id
    )
    select jsonb_build_object(
      'total_bytes', coalesce(sum(p.bytes), 0)::bigint,
      'exports', coalesce(jsonb_agg(jsonb_build_object(
        'id', p.id, 'name', p.name, 'status', p.status, 'bytes', p.bytes,
        'expires_at', p.expires_at, 'kept_until', p.kept_until) order by p.bytes desc, p.id), '[]'::jsonb))
    from per_export p
  );
end
$$;
revoke execute on function public.organisation_storage_use(uuid) from public, anon;
grant execute on function public.organisation_storage_use(uuid) to authenticated;

create table private.export_expiries (
  job_id uuid primary key references public.export_jobs (id) on delete cascade,
  -- A worker took it; one that died is replaced a minute later.
  started_at timestamptz not null,
  takes int not null default 1
);
revoke all on private.export_expiries from public, anon, authenticated;
grant select, insert, update, delete on private.export_expiries to service_role;

-- Takes the expiry of an expired export: its organisation and lane count (the folders to list), or taken: false.
create function public.begin_export_expiry(p_job_id uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  select * into v_job from public.export_jobs
  where id = p_job_id and expired_at is null and expires_at <= now() and status in ('completed', 'failed', 'cancelled')
  for update;
  if not found then
    return jsonb_build_object('taken', false);
  end if;
  insert into private.export_expiries as e (job_id, started_at) values (p_job_id, now())
  on conflict (job_id) do update set started_at = now(), takes = e.takes + 1
    where e.started_at < now() - interval '1 minute';
  if not found then
    return jsonb_build_object('taken', false);
  end if;
  return jsonb_build_object('taken', true, 'organisation_id', v_job.organisation_id, 'lane_count', v_job.lane_count);
end
$$;

create function public.end_export_expiry(p_job_id uuid, p_removed int)
returns void
language plpgsql
set search_path = ''
as $$
begin
  update public.export_jobs set expired_at = now() where id = p_job_id and expired_at is null;
  if found then
    insert into public.export_events (job_id, run_no, kind, detail)
    select j.id, j.run_no, 'expired', jsonb_build_object('removed_objects', p_removed, 'expires_at', j.expires_at)
    from public.export_jobs j where j.id = p_job_id;
  end if;
  delete from private.export_expiries where job_id = p_job_id;
end
$$;

-- Expired exports not yet taken (or whose worker died), oldest expiry first, at most `expiry_batch`.
create function private.expiries_to_kick()
returns setof uuid
language sql
stable
set search_path = ''
as $$
  select j.id from public.export_jobs j
  where j.expired_at is null and j.expires_at <= now() and j.status in ('completed', 'failed', 'cancelled')
    and not exists (select 1 from private.export_expiries e
                    where e.job_id = j.id and e.started_at >= now() - interval '1 minute')
  order by j.expires_at, j.id
  limit (select expiry_batch from private.export_settings)
$$;
revoke execute on function private.expiries_to_kick() from public, anon, authenticated;
grant execute on function private.expiries_to_kick() to service_role;

-- ---- approvals ---------------------------------------------------------------------------------

create function private.hold_large_export()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.estimated_rows > (select o.approval_threshold from public.organisations o where o.id = new.organisation_id) then
    new.approval := 'pending';
  end if;
  return new;
end
$$;
revoke execute on function private.hold_large_export() from public, anon, authenticated;

create trigger export_jobs_hold_large
  before insert on public.export_jobs
  for each row execute function private.hold_large_export();

-- After the lanes exist (triggers fire by name: export_jobs_create_lanes first): hold them, tell the admins.
create function private.request_export_approval()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_threshold bigint;
begin
  select o.approval_threshold into v_threshold from public.organisations o where o.id = new.organisation_id;
  update public.export_lanes set next_retry_at = 'infinity' where job_id = new.id;
  insert into public.export_events (job_id, run_no, kind, actor, detail)
  values (new.id, new.run_no, 'approval_requested', new.requested_by,
          jsonb_build_object('estimated_rows', new.estimated_rows, 'threshold', v_threshold));
  insert into public.notifications (user_id, organisation_id, job_id, run_no, kind, title, body)
  select m.user_id, new.organisation_id, new.id, new.run_no, 'export_approval_requested',
         left(format('Approval needed: %s', new.name), 300),
         format('About %s records, above the organisation''s threshold of %s. Approve or decline it on the export''s page. Export %s.',
                to_char(new.estimated_rows, 'FM999,999,999,999'), to_char(v_threshold, 'FM999,999,999,999'),
                left(new.id::text, 8))
  from public.memberships m
  where m.organisation_id = new.organisation_id and m.role = 'admin'
  on conflict on constraint notifications_one_per_run_and_kind do nothing;
  return null;
end
$$;
revoke execute on function private.request_export_approval() from public, anon, authenticated;

create trigger export_jobs_request_approval
  after insert on public.export_jobs
  for each row when (new.approval = 'pending')
  execute function private.request_export_approval();

-- An admin approves (the lanes become due; the caller kicks them) or declines with a reason (the export
-- ends cancelled, and the requester's notification says why).
create function public.decide_export_approval(p_job_id uuid, p_approve boolean, p_reason text default null)
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_reason text := nullif(btrim(coalesce(p_reason, '')), '');
begin
  select * into v_job from public.export_jobs j
  where j.id = p_job_id and j.organisation_id = any (array(select private.member_organisations()))
  for update;
  if not found then
    raise exception 'export job % not found', p_job_id using errcode = 'PT404';
  end if;
  perform private.require_org_admin(v_job.organisation_id, 'approve or decline a large export');
  if v_job.approval is distinct from 'pending' or v_job.status <> 'queued' or v_job.cancel_requested_at is not null then
    raise exception 'This export is not waiting for approval (it is %).',
      coalesce(v_job.approval, v_job.status) using errcode = 'PT409';
  end if;
  if p_approve is null then
    raise exception 'Say whether to approve (true) or decline (false).' using errcode = 'PT422';
  end if;
  if not p_approve and (v_reason is null or length(v_reason) > 500) then
    raise exception 'Give a reason for declining (1–500 characters): the requester reads it.' using errcode = 'PT422';
  end if;
  if p_approve then
    update public.export_jobs set approval = 'approved' where id = p_job_id;
    update public.export_lanes set next_retry_at = null, kick_at = now()
    where job_id = p_job_id and next_retry_at = 'infinity';
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (p_job_id, v_job.run_no, 'approved', (select auth.uid()), '{}'::jsonb);
  else
    update public.export_jobs set approval = 'declined', approval_reason = v_reason where id = p_job_id;
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (p_job_id, v_job.run_no, 'declined', (select auth.uid()), jsonb_build_object('reason', v_reason));
    perform private.finalise_export(p_job_id, 'cancelled');
  end if;
  -- The admins' requests are answered.
  update public.notifications set read_at = coalesce(read_at, now())
  where job_id = p_job_id and run_no = v_job.run_no and kind = 'export_approval_requested';
  select * into v_job from public.export_jobs where id = p_job_id;
  return v_job;
end
$$;
revoke execute on function public.decide_export_approval(uuid, boolean, text) from public, anon;
grant execute on function public.decide_export_approval(uuid, boolean, text) to authenticated;

-- As before, with the cancelled notice of a declined export saying so, and why.
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
      if v_job.approval = 'declined' then
        v_title := format('Export declined: %s', v_job.name);
        v_body := format('An admin declined it: %s', v_job.approval_reason);
      else
        v_title := format('Export cancelled: %s', v_job.name);
        v_body := format('%s written before the cancel.', v_written);
      end if;
  end case;
  v_body := left(v_body, 1900) || format(' Export %s.', left(v_job.id::text, 8));
  insert into public.notifications (user_id, organisation_id, job_id, run_no, kind, title, body, error_kind)
  values (
    v_job.requested_by, v_job.organisation_id, v_job.id, v_job.run_no, p_kind, left(v_title, 300), v_body,
    case when p_kind = 'export_failed' then v_job.last_error_kind end
  )
  on conflict on constraint notifications_one_per_run_and_kind do nothing;
end
$$;

-- ---- the sweep ---------------------------------------------------------------------------------

-- As before (20261211003100_system_health.sql), and a kick (as lane 1) for each expired export to take.
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
      and (c.started_at is null or c.started_at < now() - interval '1 minute')
    union all
    select e, 1 from private.expiries_to_kick() e;
end
$$;

do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.begin_export_expiry(uuid)',
    'public.end_export_expiry(uuid, int)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
