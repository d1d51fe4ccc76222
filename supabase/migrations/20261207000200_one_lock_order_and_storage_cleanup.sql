-- One lock order, and storage that ends up holding exactly what the manifest names.
--
-- Lock order (every function that touches a job, its lanes and its invocations takes them in this order,
-- ARCHITECTURE "Lock order"): the job row (FOR UPDATE, `private.lock_job_for_lane`), then the lane row,
-- then invocation rows. A foreign key takes a share lock on the row it points at: inserting an invocation
-- (or a shard, a failure, an event) locks its job row too, so such an insert counts as taking the job. The
-- one function that broke the order was `register_export_heir`: it updated the lane, then inserted the
-- heir's invocation, whose foreign key waited for the job row — held by the holder's `record_export_shard`
-- or `hand_off_export_lane`, which waited for the lane: a deadlock (10 in one 8-lane export). It now takes
-- the job first. Functions that lock only a lane (heartbeat, announce, the heir's poll) never take the job
-- after it.
--
-- Storage clean-up: an object a worker uploaded and never got recorded (its record failed, a cancel came
-- at a hand-off, its holder died mid-page) is referenced by nothing. Holders already remove what they know
-- of; for everything else, once a job ends (completed, failed or cancelled) a clean-up is due as soon as
-- no lease of it can still be alive. The sweep kicks a worker for it; the worker lists each lane's folder
-- once, asks which listed objects the manifest does not name (`unreferenced_export_objects`) and removes
-- them (`begin_export_cleanup` / `end_export_cleanup`). A re-run makes the job due again when it ends.

create or replace function public.register_export_heir(p_job_id uuid, p_lane_no int, p_predecessor uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_invocation uuid := gen_random_uuid();
begin
  -- The job first (the lock order): the invocation inserted below would take it anyway, through its key.
  perform private.lock_job_for_lane(p_job_id);
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

create table private.export_storage_cleanups (
  job_id uuid primary key references public.export_jobs (id) on delete cascade,
  -- When no lease of the job can still be alive: its longest lease after it ended.
  due_at timestamptz not null,
  -- A worker took it (a taken clean-up whose worker died is due again a minute later).
  started_at timestamptz,
  done_at timestamptz,
  removed_objects int
);
revoke all on private.export_storage_cleanups from public, anon, authenticated;
grant select, insert, update on private.export_storage_cleanups to service_role;

-- Security definer: a job ends in whoever's transaction ends it (a member's cancel included).
create function private.schedule_export_cleanup()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.export_storage_cleanups (job_id, due_at)
  values (new.id, now() + make_interval(secs => coalesce(
    (select max(lease_seconds) from public.export_lanes where job_id = new.id), 8)))
  on conflict (job_id) do update
    set due_at = excluded.due_at, started_at = null, done_at = null, removed_objects = null;
  return null;
end
$$;
revoke execute on function private.schedule_export_cleanup() from public, anon, authenticated;

create trigger export_jobs_schedule_cleanup
  after update of status on public.export_jobs
  for each row
  when (new.status in ('completed', 'failed', 'cancelled') and old.status is distinct from new.status)
  execute function private.schedule_export_cleanup();

-- Takes a due clean-up of the job: its organisation and lane count (the folders to list), or taken: false.
create function public.begin_export_cleanup(p_job_id uuid)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  update private.export_storage_cleanups
  set started_at = now()
  where job_id = p_job_id and done_at is null and due_at <= now()
    and (started_at is null or started_at < now() - interval '1 minute');
  if not found then
    return jsonb_build_object('taken', false);
  end if;
  select * into v_job from public.export_jobs where id = p_job_id;
  return jsonb_build_object('taken', true, 'organisation_id', v_job.organisation_id, 'lane_count', v_job.lane_count);
end
$$;

-- Of the keys a worker listed in the job's folders, the ones no manifest row names.
create function public.unreferenced_export_objects(p_job_id uuid, p_keys text[])
returns text[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(k order by k), '{}')
  from unnest(p_keys) k
  where not exists (select 1 from public.export_shards s where s.job_id = p_job_id and s.storage_key = k);
$$;

create function public.end_export_cleanup(p_job_id uuid, p_removed int)
returns void
language sql
set search_path = ''
as $$
  update private.export_storage_cleanups set done_at = now(), removed_objects = p_removed
  where job_id = p_job_id and done_at is null;
$$;

-- The sweep as before, and a kick for every job whose clean-up is due (as lane 1: a worker asked to run a
-- lane of an ended job is declined, and then takes the job's clean-up).
create or replace function public.sweep_export_jobs()
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
    from jsonb_array_elements(private.lanes_to_kick(100)) k
    union all
    select c.job_id, 1
    from private.export_storage_cleanups c
    where c.done_at is null and c.due_at <= now()
      and (c.started_at is null or c.started_at < now() - interval '1 minute');
end
$$;

do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.begin_export_cleanup(uuid)',
    'public.unreferenced_export_objects(uuid, text[])',
    'public.end_export_cleanup(uuid, int)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
