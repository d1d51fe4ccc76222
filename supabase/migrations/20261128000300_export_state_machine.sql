-- The export job state machine: short SQL functions, each one atomic, called by RPC with the service
-- role (the worker, the API routes after they have authorised the user, and the sweep).
--
--   queued ──claim──▶ running ──finish──▶ completed
--     ▲                 │  │  └─cancel seen──▶ cancelled
--     │                 │  └─fail (retryable, attempts < cap)──▶ retrying ──(backoff passed) claim──▶ running
--     │                 └─fail (permanent, or attempts reach the cap)──▶ failed
--     └──────── request_export_rerun (missing/corrupt shards, unwritten tail) ◀── completed | failed | cancelled
--
-- Leases: claim sets lease_owner (the invocation id), lease_expires_at and a generation that only grows.
-- Every later call carries (invocation, generation) and is refused once the lease is lost, which is how a
-- stale invocation is fenced off (invariant 4). The lease is not extended per shard: it lasts the
-- invocation's time budget plus a grace period, and a healthy invocation hands off before it runs out,
-- so recording a shard does not write the job row (Realtime traffic stays flat).

-- Exactly one notification per job and outcome: the unique constraint decides, not a prior read.
create function private.notify_export_outcome(p_job public.export_jobs, p_kind text)
returns void
language plpgsql
as $$
declare
  v_title text;
  v_body text;
begin
  case p_kind
    when 'export_completed' then
      v_title := format('Export of %s completed', p_job.collection);
      v_body := format('%s rows in %s shards (%s).', p_job.rows_written, p_job.shards_written, upper(p_job.format));
    when 'export_failed' then
      v_title := format('Export of %s failed', p_job.collection);
      v_body := coalesce(p_job.last_error, 'The export failed.');
    when 'export_cancelled' then
      v_title := format('Export of %s cancelled', p_job.collection);
      v_body := format('%s rows in %s shards were written before the cancel.', p_job.rows_written, p_job.shards_written);
  end case;
  insert into public.notifications (user_id, organisation_id, job_id, kind, title, body)
  values (p_job.requested_by, p_job.organisation_id, p_job.id, p_kind, v_title, v_body)
  on conflict on constraint notifications_one_per_job_and_kind do nothing;
end
$$;

-- Progress counters on the job row, recomputed from the manifest (the manifest is the truth).
create function private.refresh_export_progress(p_job_id uuid)
returns void
language sql
as $$
  update public.export_jobs j
  set shards_written = s.shards, rows_written = s.rows, bytes_written = s.bytes
  from (
    select count(*)::int as shards,
           coalesce(sum(rows), 0)::bigint as rows,
           -- Bytes of the downloadable file: every shard's header but the first is stripped for CSV.
           coalesce(sum(bytes), 0)::bigint - coalesce(sum(header_bytes) filter (where shard_no > 1), 0)::bigint as bytes
    from public.export_shards where job_id = p_job_id and status = 'written'
  ) s
  where j.id = p_job_id
    and (j.shards_written, j.rows_written, j.bytes_written) is distinct from (s.shards, s.rows, s.bytes)
$$;

create function private.finalise_export(p_job_id uuid, p_status text)
returns public.export_jobs
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  perform private.refresh_export_progress(p_job_id);
  update public.export_jobs
  set status = p_status,
      finished_at = now(),
      lease_owner = null,
      lease_expires_at = null,
      next_retry_at = null,
      tail_complete = tail_complete or p_status = 'completed'
  where id = p_job_id
  returning * into v_job;
  perform private.notify_export_outcome(
    v_job,
    case p_status when 'completed' then 'export_completed' when 'failed' then 'export_failed' else 'export_cancelled' end
  );
  return v_job;
end
$$;

-- Claim: take the lease if nobody holds a live one. Always records an invocation (declined ones too, so
-- support sees duplicate kicks). Returns the work to do: shards to re-run first, then the tail cursor.
create function public.claim_export_job(p_job_id uuid, p_lease_seconds int)
returns jsonb
language plpgsql
as $$
declare
  v_job public.export_jobs;
  v_invocation uuid := gen_random_uuid();
  v_reason text;
  v_last public.export_shards;
begin
  if p_lease_seconds not between 5 and 3600 then
    raise exception 'lease must be between 5 and 3600 seconds, got %', p_lease_seconds using errcode = '22023';
  end if;

  select * into v_job from public.export_jobs where id = p_job_id for update;
  if not found then
    return jsonb_build_object('claimed', false, 'reason', 'not_found');
  end if;

  -- An invocation that held an expired lease was killed without a goodbye: say so on its timeline.
  if v_job.lease_owner is not null and v_job.lease_expires_at < now() then
    update public.export_invocations
    set ended_at = v_job.lease_expires_at, end_reason = 'killed',
        wall_ms = (extract(epoch from (v_job.lease_expires_at - started_at)) * 1000)::int
    where id = v_job.lease_owner and ended_at is null;
  end if;

  v_reason := case
    when v_job.status in ('completed', 'failed', 'cancelled') then 'finished'
    when v_job.status = 'running' and v_job.lease_expires_at >= now() then 'leased'
    when v_job.status in ('queued', 'retrying') and v_job.next_retry_at > now() then 'not_due'
    else null
  end;

  if v_reason is null and v_job.cancel_requested_at is not null then
    -- Nobody is working on it and a cancel is pending: obey it now, write nothing more.
    insert into public.export_invocations (id, job_id, ended_at, end_reason) values (v_invocation, p_job_id, now(), 'cancelled');
    v_job := private.finalise_export(p_job_id, 'cancelled');
    return jsonb_build_object('claimed', false, 'reason', 'cancelled', 'invocation_id', v_invocation);
  end if;

  if v_reason is not null then
    insert into public.export_invocations (id, job_id, ended_at, end_reason) values (v_invocation, p_job_id, now(), 'declined');
    return jsonb_build_object('claimed', false, 'reason', v_reason, 'invocation_id', v_invocation);
  end if;

  update public.export_jobs
  set status = 'running',
      lease_owner = v_invocation,
      lease_expires_at = now() + make_interval(secs => p_lease_seconds),
      lease_generation = lease_generation + 1,
      started_at = coalesce(started_at, now()),
      next_retry_at = null
  where id = p_job_id
  returning * into v_job;

  insert into public.export_invocations (id, job_id, generation) values (v_invocation, p_job_id, v_job.lease_generation);

  select * into v_last from public.export_shards where job_id = p_job_id order by shard_no desc limit 1;

  return jsonb_build_object(
    'claimed', true,
    'invocation_id', v_invocation,
    'generation', v_job.lease_generation,
    'lease_expires_at', v_job.lease_expires_at,
    'job', jsonb_build_object(
      'id', v_job.id,
      'organisation_id', v_job.organisation_id,
      'collection', v_job.collection,
      'key_field', v_job.key_field,
      'mandatory_filter', v_job.mandatory_filter,
      'filter', v_job.filter,
      'fields', to_jsonb(v_job.fields),
      'format', v_job.format,
      'page_size', v_job.page_size,
      'neutralise_formulas', v_job.neutralise_formulas,
      'attempts', v_job.attempts,
      'tail_complete', v_job.tail_complete
    ),
    'tail', jsonb_build_object(
      'next_shard_no', coalesce(v_last.shard_no, 0) + 1,
      'after_key', v_last.key_last
    ),
    'reruns', coalesce((
      select jsonb_agg(jsonb_build_object('shard_no', shard_no, 'key_after', key_after, 'key_last', key_last) order by shard_no)
      from public.export_shards where job_id = p_job_id and status = 'rerun_requested'
    ), '[]'::jsonb)
  );
end
$$;

-- Checks that the caller still holds the lease; locks the job row for the rest of the transaction.
create function private.lock_leased_export(p_job_id uuid, p_invocation_id uuid, p_generation bigint)
returns public.export_jobs
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  select * into v_job from public.export_jobs where id = p_job_id for update;
  if not found
     or v_job.status <> 'running'
     or v_job.lease_owner is distinct from p_invocation_id
     or v_job.lease_generation <> p_generation
     or v_job.lease_expires_at < now() then
    return null;
  end if;
  return v_job;
end
$$;

-- Record one shard whose object is already in storage (invariant 3), in the same round trip that tells
-- the worker whether to go on: 'recorded', or 'cancel_requested' / 'lease_lost' (nothing recorded).
-- A tail shard must continue the manifest exactly (next number, key range adjacent to the previous);
-- a re-run must cover exactly the range of the shard it replaces, so the file stays byte-identical.
create function public.record_export_shard(
  p_job_id uuid,
  p_invocation_id uuid,
  p_generation bigint,
  p_shard_no int,
  p_key_after bigint,
  p_key_last bigint,
  p_rows int,
  p_bytes bigint,
  p_header_bytes int,
  p_sha256 text,
  p_storage_key text,
  p_duration_ms int,
  p_publish_progress boolean
)
returns jsonb
language plpgsql
as $$
declare
  v_job public.export_jobs;
  v_existing public.export_shards;
  v_last public.export_shards;
begin
  v_job := private.lock_leased_export(p_job_id, p_invocation_id, p_generation);
  if v_job.id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  if v_job.cancel_requested_at is not null then
    return jsonb_build_object('outcome', 'cancel_requested');
  end if;

  select * into v_existing from public.export_shards where job_id = p_job_id and shard_no = p_shard_no for update;
  if found then
    if v_existing.status <> 'rerun_requested'
       or v_existing.key_after is distinct from p_key_after
       or v_existing.key_last <> p_key_last then
      raise exception 'shard % of job % is already recorded for keys (%, %]', p_shard_no, p_job_id, v_existing.key_after, v_existing.key_last
        using errcode = 'P0001', hint = 'A re-run must cover exactly the key range of the shard it replaces.';
    end if;
    insert into public.export_shard_attempts
      (job_id, shard_no, attempt, rows, bytes, sha256, storage_key, invocation_id, written_at, replaced_because)
    values (p_job_id, p_shard_no, v_existing.attempt, v_existing.rows, v_existing.bytes, v_existing.sha256,
            v_existing.storage_key, v_existing.invocation_id, v_existing.written_at, v_existing.problem)
    on conflict do nothing;
    update public.export_shards
    set rows = p_rows, bytes = p_bytes, header_bytes = p_header_bytes, sha256 = p_sha256, storage_key = p_storage_key,
        generation = p_generation, attempt = v_existing.attempt + 1, invocation_id = p_invocation_id,
        status = 'written', problem = null, written_at = now(), duration_ms = p_duration_ms
    where job_id = p_job_id and shard_no = p_shard_no;
  else
    select * into v_last from public.export_shards where job_id = p_job_id order by shard_no desc limit 1;
    if p_shard_no <> coalesce(v_last.shard_no, 0) + 1 or p_key_after is distinct from v_last.key_last then
      raise exception 'shard % of job % does not continue the manifest (last shard %, last key %)',
        p_shard_no, p_job_id, v_last.shard_no, v_last.key_last using errcode = 'P0001';
    end if;
    insert into public.export_shards
      (job_id, shard_no, key_after, key_last, rows, bytes, header_bytes, sha256, storage_key, generation, invocation_id, duration_ms)
    values (p_job_id, p_shard_no, p_key_after, p_key_last, p_rows, p_bytes, p_header_bytes, p_sha256, p_storage_key,
            p_generation, p_invocation_id, p_duration_ms);
  end if;

  update public.export_invocations
  set shards_written = shards_written + 1, rows_written = rows_written + p_rows
  where id = p_invocation_id;

  -- A successful page resets the retry counter; written only when it changes.
  if v_job.attempts > 0 or v_job.last_error is not null then
    update public.export_jobs set attempts = 0, last_error = null, last_error_kind = null where id = p_job_id;
  end if;
  if p_publish_progress then
    perform private.refresh_export_progress(p_job_id);
  end if;
  return jsonb_build_object('outcome', 'recorded');
end
$$;

-- Before the time budget runs out: publish progress and release the lease so the next invocation
-- (which this one starts) can claim the job at once.
create function public.hand_off_export_job(p_job_id uuid, p_invocation_id uuid, p_generation bigint)
returns boolean
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_leased_export(p_job_id, p_invocation_id, p_generation);
  if v_job.id is null then
    return false;
  end if;
  perform private.refresh_export_progress(p_job_id);
  update public.export_jobs set lease_owner = null, lease_expires_at = null where id = p_job_id;
  return true;
end
$$;

-- The key range is exhausted and nothing is left to re-run: completed, with one notification.
create function public.finish_export_job(p_job_id uuid, p_invocation_id uuid, p_generation bigint)
returns jsonb
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_leased_export(p_job_id, p_invocation_id, p_generation);
  if v_job.id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  if exists (select 1 from public.export_shards where job_id = p_job_id and status = 'rerun_requested') then
    raise exception 'job % still has shards waiting for a re-run', p_job_id using errcode = 'P0001';
  end if;
  update public.export_jobs set tail_complete = true where id = p_job_id;
  v_job := private.finalise_export(p_job_id, 'completed');
  return jsonb_build_object(
    'outcome', 'completed',
    'rows_written', v_job.rows_written,
    'estimated_rows', v_job.estimated_rows
  );
end
$$;

-- The worker saw a cancel (from record_export_shard): stop with nothing more written.
create function public.acknowledge_export_cancel(p_job_id uuid, p_invocation_id uuid, p_generation bigint)
returns boolean
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_leased_export(p_job_id, p_invocation_id, p_generation);
  if v_job.id is null or v_job.cancel_requested_at is null then
    return false;
  end if;
  perform private.finalise_export(p_job_id, 'cancelled');
  return true;
end
$$;

-- A failed invocation: retryable errors back off exponentially (2, 4, 8 … s, at most 60 s) until the
-- attempt cap; permanent ones, or the cap, fail the job for good with one notification.
create function public.fail_export_job(
  p_job_id uuid,
  p_invocation_id uuid,
  p_generation bigint,
  p_error_kind text,
  p_message text,
  p_retryable boolean
)
returns jsonb
language plpgsql
as $$
declare
  v_job public.export_jobs;
  v_attempts int;
begin
  v_job := private.lock_leased_export(p_job_id, p_invocation_id, p_generation);
  if v_job.id is null then
    return jsonb_build_object('outcome', 'lease_lost');
  end if;
  v_attempts := v_job.attempts + 1;
  update public.export_jobs
  set attempts = v_attempts, last_error = left(p_message, 2000), last_error_kind = left(p_error_kind, 100),
      lease_owner = null, lease_expires_at = null
  where id = p_job_id;

  if p_retryable and v_attempts < v_job.max_attempts then
    update public.export_jobs
    set status = 'retrying', next_retry_at = now() + make_interval(secs => least(60, power(2, v_attempts)))
    where id = p_job_id
    returning * into v_job;
    perform private.refresh_export_progress(p_job_id);
    return jsonb_build_object('outcome', 'retrying', 'attempts', v_attempts, 'next_retry_at', v_job.next_retry_at);
  end if;
  perform private.finalise_export(p_job_id, 'failed');
  return jsonb_build_object('outcome', 'failed', 'attempts', v_attempts);
end
$$;

-- Every invocation ends here with its figures (the support timeline). Idempotent.
create function public.end_export_invocation(
  p_invocation_id uuid,
  p_end_reason text,
  p_cpu_ms int,
  p_wall_ms int,
  p_peak_heap_bytes bigint,
  p_error text
)
returns void
language sql
as $$
  update public.export_invocations
  set ended_at = now(), end_reason = p_end_reason, cpu_ms = p_cpu_ms, wall_ms = p_wall_ms,
      peak_heap_bytes = p_peak_heap_bytes, error = left(p_error, 2000)
  where id = p_invocation_id and (ended_at is null or end_reason = 'declined' and p_end_reason = 'declined')
$$;

-- The job row, locked for the rest of the transaction; a missing job is PostgREST's 404 (PT404).
create function private.lock_export_or_404(p_job_id uuid)
returns public.export_jobs
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  select * into v_job from public.export_jobs where id = p_job_id for update;
  if not found then
    raise exception 'export job % not found', p_job_id using errcode = 'PT404';
  end if;
  return v_job;
end
$$;

-- A user (authorised by the API route) asks to stop. Jobs nobody is working on stop at once; a running
-- job stops at the worker's next shard (invariant 7).
create function public.request_export_cancel(p_job_id uuid)
returns public.export_jobs
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_export_or_404(p_job_id);
  if v_job.status in ('completed', 'failed', 'cancelled') then
    raise exception 'export job % is already %', p_job_id, v_job.status using errcode = 'PT409';
  end if;
  update public.export_jobs set cancel_requested_at = coalesce(cancel_requested_at, now()) where id = p_job_id
  returning * into v_job;
  if v_job.status in ('queued', 'retrying') or v_job.lease_expires_at is null or v_job.lease_expires_at < now() then
    v_job := private.finalise_export(p_job_id, 'cancelled');
  end if;
  return v_job;
end
$$;

-- Re-run what is missing: the named shards (their key ranges are in the manifest) and, unless the key
-- range was exhausted, the unwritten tail. Requeues a finished job.
create function public.request_export_rerun(p_job_id uuid, p_shard_nos int[], p_problem text)
returns public.export_jobs
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_export_or_404(p_job_id);
  if v_job.status in ('queued', 'running', 'retrying') then
    raise exception 'export job % is still %; cancel it or wait for it to end before a re-run', p_job_id, v_job.status
      using errcode = 'PT409';
  end if;
  if exists (
    select 1 from unnest(coalesce(p_shard_nos, '{}')) n
    where not exists (select 1 from public.export_shards s where s.job_id = p_job_id and s.shard_no = n)
  ) then
    raise exception 'some of the shards % are not in the manifest of job %', p_shard_nos, p_job_id using errcode = 'PT422';
  end if;
  if coalesce(cardinality(p_shard_nos), 0) = 0 and v_job.tail_complete then
    raise exception 'export job % has nothing to re-run', p_job_id using errcode = 'PT422';
  end if;

  update public.export_shards set status = 'rerun_requested', problem = left(p_problem, 500)
  where job_id = p_job_id and shard_no = any (coalesce(p_shard_nos, '{}'));

  update public.export_jobs
  set status = 'queued', cancel_requested_at = null, finished_at = null, attempts = 0, next_retry_at = null,
      last_error = null, last_error_kind = null
  where id = p_job_id
  returning * into v_job;
  perform private.refresh_export_progress(p_job_id);
  select * into v_job from public.export_jobs where id = p_job_id;
  return v_job;
end
$$;

-- A download found a shard missing or damaged: note it on the manifest row so support sees it (and
-- "retry missing" re-runs it after verification). The shard stays 'written' until a re-run is requested.
create function public.record_export_shard_problem(p_job_id uuid, p_shard_no int, p_problem text)
returns void
language sql
as $$
  update public.export_shards set problem = left(p_problem, 500) where job_id = p_job_id and shard_no = p_shard_no
$$;

-- pg_cron's work (the devstack runs it on a timer): settle what nobody is working on, and return the jobs
-- that need a worker kicked — queued or retrying jobs that are due, and running jobs whose lease expired
-- (a killed invocation) or was released by a hand-off whose next invocation never started.
create function public.sweep_export_jobs()
returns table (job_id uuid)
language plpgsql
as $$
declare
  v_job public.export_jobs;
begin
  for v_job in
    select * from public.export_jobs
    where status in ('queued', 'running', 'retrying') and cancel_requested_at is not null
      and (lease_expires_at is null or lease_expires_at < now())
    for update skip locked
  loop
    update public.export_invocations set ended_at = v_job.lease_expires_at, end_reason = 'killed'
    where id = v_job.lease_owner and ended_at is null;
    perform private.finalise_export(v_job.id, 'cancelled');
  end loop;

  return query
    select j.id from public.export_jobs j
    where (j.status = 'queued' and (j.next_retry_at is null or j.next_retry_at <= now()) and j.updated_at < now() - interval '5 seconds')
       or (j.status = 'retrying' and j.next_retry_at <= now())
       or (j.status = 'running' and (j.lease_expires_at < now() or (j.lease_expires_at is null and j.updated_at < now() - interval '5 seconds')))
    order by j.created_at
    limit 100;
end
$$;

-- Internal: only the service role (worker, API routes, sweep) runs the state machine.
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.claim_export_job(uuid, int)',
    'public.record_export_shard(uuid, uuid, bigint, int, bigint, bigint, int, bigint, int, text, text, int, boolean)',
    'public.hand_off_export_job(uuid, uuid, bigint)',
    'public.finish_export_job(uuid, uuid, bigint)',
    'public.acknowledge_export_cancel(uuid, uuid, bigint)',
    'public.fail_export_job(uuid, uuid, bigint, text, text, boolean)',
    'public.end_export_invocation(uuid, text, int, int, bigint, text)',
    'public.request_export_cancel(uuid)',
    'public.request_export_rerun(uuid, int[], text)',
    'public.sweep_export_jobs()',
    'public.record_export_shard_problem(uuid, int, text)',
    'private.notify_export_outcome(public.export_jobs, text)',
    'private.refresh_export_progress(uuid)',
    'private.finalise_export(uuid, text)',
    'private.lock_leased_export(uuid, uuid, bigint)',
    'private.lock_export_or_404(uuid)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
