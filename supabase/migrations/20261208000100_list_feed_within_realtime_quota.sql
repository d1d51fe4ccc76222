-- Live feeds within Realtime's quota.
--
-- Hosted Realtime counts, per project, every message once when it takes it in and once more for each
-- client it reaches, and holds the project to its plan: Pro allows 500 a second (judged over a minute;
-- Free 100, Pro without a spend cap 2,500); over it, committed messages are dropped (devstack/README.md,
-- "Realtime quota"). 20261206000500_realtime_feeds.sql sent every job-row write — up to two a second for
-- each running job — to the job's topic and to its organisation's list topic, so every member on the list
-- received every running job's every write: 20 running exports watched by 50 members were ~2,000
-- messages a second, four times Pro's quota.
--
-- Contract (the topics, who may join them — the `realtime.messages` policy — and the notification feed
-- are unchanged):
-- * `export:<job id>`: every change of the job row, as `realtime.broadcast_changes` sends it, to those
--   on that job's page. An update that changes nothing but `updated_at` sends nothing.
-- * `org:<organisation id>:exports`, the exports list: one message carries the list's live state —
--     `change`    at once, when a job is created or anything the list shows besides progress changes
--                 (status, name, cancel, start, finish, retries and errors, a re-run):
--                 {at, job: <the job row>, jobs: [<every unfinished job's progress>], truncated}
--     `progress`  when only progress changed (shards, rows, bytes, lanes, tail): at most one every
--                 `list_feed_interval_ms` (1 s) per organisation, however many jobs run:
--                 {at, jobs: [...], truncated}
--   `jobs` lists the organisation's unfinished jobs (newest 100; `truncated` when there are more) with
--   {id, status, shards_written, rows_written, bytes_written, gzip_bytes_written, tail_complete,
--   estimated_rows, created_at, updated_at}. Each message carries all of them, so one that is lost (dropped over the
--   quota, or sent while a client rejoined) is made good by the next.
--   A progress change inside the interval is remembered (a row in `export_list_pending`) and goes out
--   with the organisation's first job-row write after it, an idle heartbeat (a lane whose page is slow:
--   every third of the lease) or the sweep (10 s), whichever comes first: no timer runs for it. Nothing
--   changed, nothing is sent. A change of state is not held back: the list must show it promptly, and
--   there are a handful per run.
-- * No writer waits for another: a job's writes are already serialised by its row, and an
--   organisation's jobs never queue behind one lock (their writes hold REST pool connections, and a
--   heartbeat queued behind them would cost its lane the lease). Whoever finds the interval passed takes
--   the organisation's feed row with SKIP LOCKED and sends; the others only mark their job pending. A
--   message's progress and the pending marks it consumes are read in one statement, so one snapshot:
--   a mark committed too late for the message stays for the next.

alter table private.export_settings
  add column list_feed_interval_ms int not null default 1000 check (list_feed_interval_ms between 100 and 60000);

comment on column private.export_settings.list_feed_interval_ms is
  'Least time between two progress messages on an organisation''s exports-list topic (Realtime quota).';

-- One row per organisation that had a job: when its list topic last got a message.
create table private.export_list_feeds (
  organisation_id uuid primary key references public.organisations (id) on delete cascade,
  sent_at timestamptz not null default '-infinity'
);
revoke all on private.export_list_feeds from public, anon, authenticated;

-- Jobs whose progress changed since their organisation's last list message: one row per job, so
-- concurrent writers of one organisation never contend for a row.
create table private.export_list_pending (
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  primary key (organisation_id, job_id)
);
create index export_list_pending_job_idx on private.export_list_pending (job_id);
revoke all on private.export_list_pending from public, anon, authenticated;

-- The list's unfinished jobs, newest first, for each message.
create index export_jobs_unfinished_idx on public.export_jobs (organisation_id, created_at desc)
  where status in ('queued', 'running', 'retrying');

create function private.export_list_interval()
returns interval
language sql
stable
set search_path = ''
as $$
  select make_interval(secs => list_feed_interval_ms / 1000.0) from private.export_settings
$$;

-- What every list message carries: the organisation's unfinished jobs' progress, as of now.
create function private.export_list_progress(p_organisation_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  with unfinished as (
    select j.id, j.status, j.shards_written, j.rows_written, j.bytes_written, j.gzip_bytes_written,
           j.tail_complete, j.estimated_rows, j.updated_at, j.created_at
    from public.export_jobs j
    where j.organisation_id = p_organisation_id and j.status in ('queued', 'running', 'retrying')
    order by j.created_at desc
    limit 101
  )
  select jsonb_build_object(
    'at', now(),
    'jobs', coalesce(
      (select jsonb_agg(to_jsonb(u) order by u.created_at desc)
       from (select * from unfinished order by created_at desc limit 100) u),
      '[]'::jsonb),
    'truncated', (select count(*) from unfinished) > 100)
$$;

-- Sends the list message (`change` with the changed row, or `progress`): the progress and the pending
-- marks it covers read in one statement (one snapshot), the marks consumed. Stamps the feed row when the
-- caller holds it or nobody else does (a concurrent sender stamps it then).
create function private.send_export_list(p_organisation_id uuid, p_changed public.export_jobs)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_payload jsonb;
begin
  with consumed as (
    delete from private.export_list_pending where organisation_id = p_organisation_id returning job_id
  )
  select private.export_list_progress(p_organisation_id) into v_payload from (select count(*) from consumed) c;
  if p_changed.id is not null then
    v_payload := v_payload || jsonb_build_object('job', to_jsonb(p_changed));
  end if;
  perform realtime.send(
    v_payload, case when p_changed.id is null then 'progress' else 'change' end,
    'org:' || p_organisation_id::text || ':exports', true
  );
  perform 1 from private.export_list_feeds where organisation_id = p_organisation_id for update skip locked;
  if found then
    update private.export_list_feeds set sent_at = now() where organisation_id = p_organisation_id;
  end if;
end
$$;

-- An organisation's pending progress, sent if its interval has passed and nobody else is sending it
-- (SKIP LOCKED: that sender covers what it can see, and a mark it cannot see stays for the next).
create function private.flush_export_list_feed(p_organisation_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from private.export_list_pending where organisation_id = p_organisation_id) then
    return false;
  end if;
  perform 1 from private.export_list_feeds
  where organisation_id = p_organisation_id and sent_at <= now() - private.export_list_interval()
  for update skip locked;
  if not found then
    return false;
  end if;
  perform private.send_export_list(p_organisation_id, null);
  return true;
end
$$;

-- The same for every organisation with pending progress (the sweep). Returns how many were sent.
create function private.flush_export_list_feeds()
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_organisation_id uuid;
  v_sent int := 0;
begin
  for v_organisation_id in select distinct organisation_id from private.export_list_pending loop
    if private.flush_export_list_feed(v_organisation_id) then
      v_sent := v_sent + 1;
    end if;
  end loop;
  return v_sent;
end
$$;

create or replace function private.broadcast_export_job()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_changed text[] := '{}';
begin
  if tg_op = 'UPDATE' then
    select coalesce(array_agg(n.key), '{}') into v_changed
    from jsonb_each(to_jsonb(new)) n join jsonb_each(to_jsonb(old)) o using (key)
    where n.value is distinct from o.value and n.key <> 'updated_at';
    if cardinality(v_changed) = 0 then
      return null;
    end if;
  end if;

  -- The job's page: every change.
  perform realtime.broadcast_changes('export:' || new.id::text, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);

  -- The list. (Only a missing feed row is inserted: an insert that meets a row a sender is stamping
  -- waits for that sender.)
  if not exists (select 1 from private.export_list_feeds where organisation_id = new.organisation_id) then
    insert into private.export_list_feeds (organisation_id) values (new.organisation_id) on conflict do nothing;
  end if;
  if tg_op = 'INSERT'
     or not v_changed <@ array['shards_written', 'rows_written', 'bytes_written', 'gzip_bytes_written', 'lanes',
                               'tail_complete'] then
    perform private.send_export_list(new.organisation_id, new);
  else
    insert into private.export_list_pending (organisation_id, job_id) values (new.organisation_id, new.id)
    on conflict do nothing;
    perform private.flush_export_list_feed(new.organisation_id);
  end if;
  return null;
end
$$;

-- As in 20261206000400_export_state_machine.sql, and a slow page's heartbeat sends the organisation's
-- pending list progress once its interval has passed.
create or replace function public.heartbeat_export_lane(p_job_id uuid, p_lane_no int, p_invocation_id uuid, p_generation bigint)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_lane public.export_lanes;
  v_job public.export_jobs;
begin
  v_lane := private.lock_leased_lane(p_job_id, p_lane_no, p_invocation_id, p_generation);
  if v_lane.job_id is null then
    return jsonb_build_object('held', false);
  end if;
  update public.export_lanes
  set lease_expires_at = now() + make_interval(secs => lease_seconds), last_heartbeat_at = now()
  where job_id = p_job_id and lane_no = p_lane_no;
  update public.export_invocations set last_heartbeat_at = now() where id = p_invocation_id;
  select * into v_job from public.export_jobs where id = p_job_id;
  perform private.flush_export_list_feed(v_job.organisation_id);
  return jsonb_build_object('held', v_job.status not in ('completed', 'failed', 'cancelled'),
                            'cancel_requested', v_job.cancel_requested_at is not null,
                            'heir_waiting', v_lane.heir is not null);
end
$$;

-- As in 20261207000200_one_lock_order_and_storage_cleanup.sql (which added the kicks for due storage
-- clean-ups to 20261206000400_export_state_machine.sql's), and every run first sends pending list progress whose
-- interval has passed (a worker stopped right after a write leaves no other writer to send it).
create or replace function public.sweep_export_jobs()
returns table (job_id uuid, lane_no int)
language plpgsql
set search_path = ''
as $$
declare
  v_job_id uuid;
begin
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

-- Internal: the feed's helpers run inside the trigger (security definer) or the state machine's calls.
revoke execute on function private.export_list_interval(), private.export_list_progress(uuid),
  private.send_export_list(uuid, public.export_jobs), private.flush_export_list_feed(uuid),
  private.flush_export_list_feeds()
  from public, anon, authenticated;
grant execute on function private.flush_export_list_feed(uuid), private.flush_export_list_feeds() to service_role;
