-- A holder reaped as dead that turns out to be alive leaves no attempt behind.
--
-- On a starved machine (boots of 4–6 s, pages far slower than usual) a live holder can go past its lease
-- without a heartbeat: the sweep reaps it as `killed` and counts an attempt on the lane, and five such
-- reaps would fail the job although nothing failed. When that holder calls again (a record, a heartbeat,
-- a hand-off …) it meets `lease_lost`, which proves it was alive: its invocation is then marked
-- `lease_lost` instead of `killed`, and while that reap is still the lane's latest failure, its attempt and
-- its entry in the shard's history are withdrawn. (A lane the reap already failed at the cap stays failed.)
-- Only rows the lane's lock covers are touched, with no job row taken after the lane (the lock order).

create function private.withdraw_wrongful_reap(p_job_id uuid, p_lane_no int, p_invocation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_withdrawn bigint;
begin
  update public.export_invocations
  set end_reason = 'lease_lost',
      error = format('Its lease ran out without a heartbeat and it was taken for dead, but it called again at %s: alive, so not counted as an attempt.',
                     to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
  where id = p_invocation_id and job_id = p_job_id and end_reason = 'killed';
  if not found then
    return;
  end if;
  delete from public.export_shard_failures f
  where f.id = (select max(id) from public.export_shard_failures where job_id = p_job_id and lane = p_lane_no)
    and f.invocation_id = p_invocation_id and f.error_kind = 'killed'
  returning f.id into v_withdrawn;
  if v_withdrawn is null then
    return;
  end if;
  update public.export_lanes
  set attempts = attempts - 1,
      last_error = case when attempts - 1 = 0 then null else last_error end,
      last_error_kind = case when attempts - 1 = 0 then null else last_error_kind end
  where job_id = p_job_id and lane_no = p_lane_no and attempts > 0 and status <> 'failed';
end
$$;
revoke execute on function private.withdraw_wrongful_reap(uuid, int, uuid) from public, anon, authenticated;
grant execute on function private.withdraw_wrongful_reap(uuid, int, uuid) to service_role;

create or replace function private.lock_leased_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
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
    -- The caller is alive: if it was reaped as dead, that reap was wrong.
    if found then
      perform private.withdraw_wrongful_reap(p_job_id, p_lane_no, p_invocation_id);
    end if;
    return null;
  end if;
  return v_lane;
end
$$;
