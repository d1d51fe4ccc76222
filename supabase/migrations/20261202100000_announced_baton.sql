-- Warm hand-off, second half. The heir already boots beside its predecessor's last pages and takes the
-- lease in the call that records the last shard; but its first page was fetched, encoded and uploaded
-- only after that, so the lane stood still for one whole page (160 ms median in the bench). Now the
-- predecessor names the key its last page ends at as soon as it has fetched that page, and the waiting
-- heir fetches and encodes the page after it while the last one is still being written. When the lease
-- arrives, the heir checks that the lane's cursor is the key it was told (it always is, unless the lane
-- changed hands some other way) and only uploads and records. Reading ahead has no side effect: nothing
-- is written before the lease is held, so fencing is unchanged.
--
-- The heir also warms up (a page of the lane through the same code, on a fresh isolate) before it
-- registers, not after: the holder passes the baton as soon as an heir is registered, so an heir still
-- warming up read its first page on cold code, competing with its own warm-up (the bench saw 120–170 ms).
-- preview_export_heir gives it what to warm up on without registering.

alter table public.export_lanes add column baton_after_key bigint;
comment on column public.export_lanes.baton_after_key is
  'Set by the lease holder for its registered heir: the key its last page ends at (the heir''s first page starts after it). Cleared when an heir registers.';

create or replace function public.register_export_heir(p_job_id uuid, p_lane_no int, p_predecessor uuid)
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

-- What an heir-to-be warms up on: the job and the lane as they are now, while the predecessor holds it.
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

-- As before, plus: a waiting heir is answered early (claimed: false, reason 'announced', after_key) when
-- its predecessor has announced a key it has not seen yet; it starts on that page and waits again.
drop function public.await_export_baton(uuid, int, uuid, int);
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

revoke execute on function public.preview_export_heir(uuid, int, uuid) from public, anon, authenticated;
grant execute on function public.preview_export_heir(uuid, int, uuid) to service_role;
revoke execute on function public.announce_export_baton(uuid, int, uuid, bigint, bigint) from public, anon, authenticated;
grant execute on function public.announce_export_baton(uuid, int, uuid, bigint, bigint) to service_role;
revoke execute on function public.await_export_baton(uuid, int, uuid, int, bigint) from public, anon, authenticated;
grant execute on function public.await_export_baton(uuid, int, uuid, int, bigint) to service_role;
