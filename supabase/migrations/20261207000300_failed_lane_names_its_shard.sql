-- A lane that fails names the shard it was writing, as a lane whose holder died does: "Lane 2, shard 42
-- of the lane (keys after 1041250): Request failed with HTTP code 503 …" instead of "Lane 2: Request
-- failed …". Support then knows which records the source refused, and where a re-run will start. A lane
-- whose tail is written was re-running damaged shards: it says so.

create or replace function public.fail_export_lane(
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
  v_where text;
begin
  v_job := private.lock_job_for_lane(p_job_id);
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_lane.job_id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  v_attempts := v_lane.attempts + 1;
  v_retry := p_retryable and v_attempts < v_job.max_attempts;
  v_where := case
    when v_lane.tail_complete then 're-running its damaged shards'
    else format('shard %s of the lane (keys after %s)', v_lane.next_seq,
                coalesce(coalesce(v_lane.cursor_key, v_lane.key_after)::text, 'the start'))
  end;
  update public.export_lanes
  set attempts = v_attempts,
      last_error = left(case when v_job.lane_count > 1 then format('Lane %s, %s: %s', p_lane_no, v_where, p_message)
                             else format('%s: %s', upper(left(v_where, 1)) || substr(v_where, 2), p_message) end, 2000),
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
