-- A waiting heir holds no database connection.
--
-- Until now the heir waited inside `await_export_baton`: one RPC that polled the lane row with pg_sleep
-- for up to 15 s, holding one connection of the API's pool the whole time. A hosted project's PostgREST
-- pool is small (the Supabase CLI's local stack runs it with 10 connections), so with 16 lanes the
-- waiting heirs could hold every connection while the holders that were to pass them the baton could not
-- record a shard: a convoy that broke only at the timeout.
--
-- Now the heir looks at the lane with `poll_export_baton`, one short statement, and waits between looks
-- in the worker (a few ms apart, with backoff): each look holds a connection for about a millisecond.
-- What a look answers is what the old wait returned, plus `waiting` while nothing has changed; with
-- `p_give_up` the heir steps back (its wait timed out), unless the lease arrived at the last moment.

create function public.poll_export_baton(
  p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_seen_after_key bigint default null,
  p_give_up boolean default false
)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_lane public.export_lanes;
begin
  select * into v_lane from public.export_lanes where job_id = p_job_id and lane_no = p_lane_no;
  if v_lane.lease_owner = p_invocation_id then
    return private.lane_work(p_job_id, p_lane_no, p_invocation_id);
  end if;
  if v_lane.heir = p_invocation_id then
    if v_lane.baton_after_key is distinct from p_seen_after_key and v_lane.baton_after_key is not null then
      -- Text: a bigint key beyond 2^53 would be rounded as a JSON number.
      return jsonb_build_object('claimed', false, 'reason', 'announced', 'invocation_id', p_invocation_id,
                                'after_key', v_lane.baton_after_key::text);
    end if;
    if not p_give_up then
      return jsonb_build_object('claimed', false, 'reason', 'waiting', 'invocation_id', p_invocation_id);
    end if;
  end if;
  -- Step back: the holder left without passing, or the heir gives up. The row lock decides a lease that
  -- arrives at this very moment.
  select * into v_lane from public.export_lanes where job_id = p_job_id and lane_no = p_lane_no for update;
  if v_lane.lease_owner = p_invocation_id then
    return private.lane_work(p_job_id, p_lane_no, p_invocation_id);
  end if;
  update public.export_lanes set heir = null where job_id = p_job_id and lane_no = p_lane_no and heir = p_invocation_id;
  -- Said on the timeline: an heir that waited in vain is a hand-off that went cold (support reads it).
  update public.export_invocations
  set ended_at = now(), end_reason = 'declined',
      error = case when v_lane.heir is distinct from p_invocation_id
                   then 'heir: the holder left the lane without passing the baton'
                   else 'heir: no baton within the wait; stepped back' end
  where id = p_invocation_id and ended_at is null;
  return jsonb_build_object('claimed', false,
                            'reason', case when v_lane.heir is distinct from p_invocation_id then 'not_passed' else 'heir_timeout' end,
                            'invocation_id', p_invocation_id);
end
$$;

revoke execute on function public.poll_export_baton(uuid, int, uuid, bigint, boolean) from public, anon, authenticated;
grant execute on function public.poll_export_baton(uuid, int, uuid, bigint, boolean) to service_role;

drop function public.await_export_baton(uuid, int, uuid, int, bigint);
