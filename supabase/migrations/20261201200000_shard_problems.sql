-- What a download (or support) found wrong with a shard, kept on its manifest row as data, and a re-run
-- that keeps each shard's own reason.
--
-- Contract:
-- * A download that finds a shard's object missing, of another size or with another sha256 records it on
--   the shard (`problem_kind`, `problem_source = 'download'`, `problem_at`, `problem` = the message) —
--   only if the row is still the write the download read (same attempt): a problem found on a shard that a
--   re-run has since replaced says nothing about the new object.
-- * "Retry missing" always plans the shards with a recorded problem, whatever a size check says: a
--   same-size corruption or an object lost on disk while its storage row remains passes a size check but
--   fails every download.
-- * `request_export_rerun` takes one reason per shard; each shard keeps its own, and the attempt history
--   (`export_shard_attempts.replaced_because`) stores that reason when the shard is rewritten.
-- * A rewritten shard (its `problem` cleared by record_export_shard) forgets the problem's details too.

alter table public.export_shards
  add column problem_kind text check (problem_kind in ('missing', 'size_mismatch', 'checksum_mismatch')),
  add column problem_source text check (problem_source in ('download', 'verification', 'support')),
  add column problem_at timestamptz;

comment on column public.export_shards.problem_kind is
  'What is wrong with the stored object, when someone found out (null: nothing known).';
comment on column public.export_shards.problem_source is
  'Who found the problem: a download, a storage verification, or support asking for a re-run.';

-- record_export_shard clears `problem` when a shard is written again; its details go with it.
create function private.clear_shard_problem_details() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.problem is null then
    new.problem_kind := null;
    new.problem_source := null;
    new.problem_at := null;
  end if;
  return new;
end
$$;
create trigger export_shards_clear_problem_details before update of problem on public.export_shards
  for each row execute function private.clear_shard_problem_details();

-- A download found the object of this write of the shard (`p_attempt`) missing or damaged. Returns
-- whether it was recorded (false: the shard was rewritten since, or is already queued for a re-run).
drop function public.record_export_shard_problem(uuid, int, text);
create function public.record_export_shard_problem(
  p_job_id uuid,
  p_shard_no int,
  p_attempt int,
  p_kind text,
  p_problem text
)
returns boolean
language sql
set search_path = ''
as $$
  with recorded as (
    update public.export_shards
    set problem = left(p_problem, 500), problem_kind = p_kind, problem_source = 'download', problem_at = now()
    where job_id = p_job_id and shard_no = p_shard_no and attempt = p_attempt and status = 'written'
    returning 1
  )
  select exists (select 1 from recorded)
$$;

-- Re-run what is missing: the named shards, each with its own reason (`p_reasons[i]` for `p_shard_nos[i]`;
-- their lanes and key ranges are in the manifest), and every lane whose key range was not exhausted. A new
-- run: its outcome is notified again.
drop function public.request_export_rerun(uuid, int[], text);
create function public.request_export_rerun(p_job_id uuid, p_shard_nos int[], p_reasons text[])
returns public.export_jobs
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
begin
  v_job := private.lock_export_or_404(p_job_id);
  if v_job.status in ('queued', 'running', 'retrying') then
    raise exception 'export job % is still %; cancel it or wait for it to end before a re-run', p_job_id, v_job.status
      using errcode = 'PT409';
  end if;
  if coalesce(cardinality(p_shard_nos), 0) <> coalesce(cardinality(p_reasons), 0) then
    raise exception 'one reason per shard: % shards, % reasons', coalesce(cardinality(p_shard_nos), 0),
      coalesce(cardinality(p_reasons), 0) using errcode = 'PT422';
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

  -- Each shard its own reason; what a download found (kind, when) stays alongside it.
  update public.export_shards s
  set status = 'rerun_requested', problem = left(coalesce(r.reason, 'requested by support'), 500),
      problem_source = coalesce(s.problem_source, 'support'), problem_at = coalesce(s.problem_at, now())
  from unnest(p_shard_nos, p_reasons) as r (shard_no, reason)
  where s.job_id = p_job_id and s.shard_no = r.shard_no;
  update public.export_lanes l
  set status = 'queued', attempts = 0, next_retry_at = null, last_error = null, last_error_kind = null,
      lease_owner = null, lease_expires_at = null, heir = null, finished_at = null,
      kick_at = now() + interval '5 seconds'
  where l.job_id = p_job_id
    and (not l.tail_complete
         or exists (select 1 from public.export_shards s where s.job_id = p_job_id and s.lane = l.lane_no and s.status = 'rerun_requested'));
  update public.export_jobs
  set status = 'queued', run_no = run_no + 1, cancel_requested_at = null, finished_at = null, attempts = 0,
      next_retry_at = null, last_error = null, last_error_kind = null
  where id = p_job_id;
  perform private.settle_export_job(p_job_id);
  select * into v_job from public.export_jobs where id = p_job_id;
  return v_job;
end
$$;

-- Internal: only the service role (API routes) calls these.
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.record_export_shard_problem(uuid, int, int, text, text)',
    'public.request_export_rerun(uuid, int[], text[])',
    'private.clear_shard_problem_details()'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
