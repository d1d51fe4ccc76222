-- A lane's holder records the end of its invocation (with its CPU, wall time and peak heap) after it has
-- finished the lane, and in between it lists and removes the lane's unreferenced objects: a few storage
-- calls, hundreds of milliseconds on a busy host. An instance stopped in that window (its wall clock, a
-- deploy) left its invocation open for good: the lane holds no lease any more, so no sweep ever marks it,
-- and the support timeline showed an invocation still running on a completed export. Finishing the lane
-- now ends its invocation as 'completed' in the same transaction; the holder's own end call, when it
-- comes, records its figures and moves the end to after the clean-up. Only the ends the database records
-- on a holder's behalf ('declined', as before, and now 'completed') may be recorded again, and only with
-- the same reason: a 'killed' mark keeps its time and error whatever a late holder says.

create or replace function public.finish_export_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
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
  update public.export_invocations
  set ended_at = now(), end_reason = 'completed'
  where id = p_invocation_id and ended_at is null;
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

create or replace function public.end_export_invocation(
  p_invocation_id uuid,
  p_end_reason text,
  p_cpu_ms int,
  p_wall_ms int,
  p_peak_heap_bytes bigint,
  p_error text
)
returns void
language sql
set search_path = ''
as $$
  update public.export_invocations
  set ended_at = now(), end_reason = p_end_reason, cpu_ms = p_cpu_ms, wall_ms = p_wall_ms,
      peak_heap_bytes = p_peak_heap_bytes, error = left(p_error, 2000)
  where id = p_invocation_id
    and (ended_at is null or end_reason = p_end_reason and p_end_reason in ('declined', 'completed'))
$$;
