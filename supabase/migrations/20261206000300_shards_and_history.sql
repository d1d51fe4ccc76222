-- Where shards live and what happened to them: the storage bucket, the shard manifest, what downloads
-- found wrong with shards, every failed attempt of a shard, and the events only people cause — what
-- support reads to answer "what happened to this export, and to shard 1,234".
--
-- Contract:
-- * `export_shards` is the manifest: one row per shard, written only after the shard object is in
--   storage (invariant 3). Its `storage_key` includes the lease generation that wrote it, so a write by an
--   invocation that lost its lease lands on a key no manifest row points to (invariant 4). Shards sort by
--   (lane, lane_seq), which is key order because lanes cover ascending, disjoint key ranges; `shard_no` is
--   a job-wide number (allocated as shards are recorded) for people and the API. Storage keys are a pure
--   function of (job, lane, lane_seq, generation, format).
-- * A shard's object is `encoding` = 'gzip' or 'identity' (the plain bytes). A gzip object is one gzip
--   member for an NDJSON shard, and two for a CSV shard: the header row alone (`gzip_header_bytes` long),
--   then the rows. Members concatenate into a valid gzip file, so the compressed download is the first
--   shard's object followed by every later shard's object without its header member. `bytes`,
--   `header_bytes`, `sha256` describe the plain bytes (what the plain download serves and a re-run must
--   reproduce); `gzip_bytes` and `gzip_sha256` describe the stored gzip object, which every download
--   verifies before use.
-- * `export_shard_attempts` keeps what a re-run shard replaced: attempts, not overwrites, each with the
--   reason it was re-run (`replaced_because`).
-- * A download that finds a shard's object missing, of another size or with another sha256 records it on
--   the shard (`problem_kind`, `problem_source = 'download'`, `problem_at`, `problem` = the message) —
--   only if the row is still the write the download read (same attempt): a problem found on a shard that a
--   re-run has since replaced says nothing about the new object. "Retry missing" always plans the shards
--   with a recorded problem, whatever a size check says: a same-size corruption or an object lost on disk
--   while its storage row remains passes a size check but fails every download. A rewritten shard (its
--   `problem` cleared by record_export_shard) forgets the problem's details too.
-- * `export_shard_failures` keeps every failed attempt of a shard: when, which invocation, which lane,
--   the error, and what the lane did next (retry after a backoff, fail, or — a killed holder — requeue at
--   once). It is written by a trigger on `export_lanes` whenever a lane counts an attempt (the state
--   machine's `fail_export_lane` and its lease reaper both do). The shard is the one the lane was writing:
--   its first shard still waiting for a re-run (re-runs go first, in lane order), else the lane's next
--   tail shard. A tail shard has no job-wide number until it is recorded, so a failure names it by
--   (lane, lane_seq); the manifest row of the same (lane, lane_seq) is that shard once written.
-- * `export_events` holds the facts the other tables do not: cancel requested, re-run requested (which
--   shards, whether the unwritten rest), each run's outcome (completed / failed / cancelled: the job row
--   only keeps the latest), renames, downloads. Triggers on `export_jobs` write all but downloads (the
--   download route calls `record_export_download`). "By whom": users cancel and re-run through their own
--   session (`cancel_export` / `rerun_export`), so the actor is the caller's `auth.uid()`; API routes that
--   act with the secret key on a user's behalf send the user's id in the `x-baton-actor` request header,
--   which PostgREST exposes to SQL as `request.headers` — trusted from the service role only. Changes by
--   the worker or the sweep carry no actor.
-- * Everything else on the activity timeline is derived from what is already recorded: the job (created,
--   by whom, parameters), its lanes (the plan), invocations (each run of the worker, hand-offs, kills),
--   shards and replaced attempts.
-- * Users read these tables through RLS by organisation membership, like the rest of a job; only the
--   service role writes them.

-- ---- The bucket -------------------------------------------------------------------------------------

-- The private bucket that holds every shard object. Only the service role reads or writes it (the
-- worker writes shards; the download route streams them after authorising the user), so it needs no
-- storage RLS policies: with none, signed-in users and anon can do nothing with it.
insert into storage.buckets (id, name, public)
values ('exports', 'exports', false)
on conflict (id) do nothing;

-- ---- The manifest -----------------------------------------------------------------------------------

create table public.export_shards (
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  shard_no int not null check (shard_no >= 1),
  -- The shard holds keys in (key_after, key_last]; key_after null: from the start of the key range.
  key_after bigint,
  key_last bigint not null,
  rows int not null check (rows > 0),
  bytes bigint not null check (bytes > 0),
  header_bytes int not null default 0 check (header_bytes >= 0),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  storage_key text not null,
  generation bigint not null,
  attempt int not null default 1,
  invocation_id uuid not null,
  status text not null default 'written' check (status in ('written', 'rerun_requested')),
  -- Why the shard needs a re-run (a download or verification found it missing or corrupt, or support asked).
  problem text,
  written_at timestamptz not null default now(),
  duration_ms int not null default 0,
  lane smallint not null default 1 check (lane between 1 and 8),
  lane_seq int not null check (lane_seq >= 1),
  problem_kind text check (problem_kind in ('missing', 'size_mismatch', 'checksum_mismatch')),
  problem_source text check (problem_source in ('download', 'verification', 'support')),
  problem_at timestamptz,
  encoding text not null default 'identity' check (encoding in ('identity', 'gzip')),
  gzip_bytes bigint check (gzip_bytes > 0),
  gzip_header_bytes int check (gzip_header_bytes >= 0),
  gzip_sha256 text check (gzip_sha256 ~ '^[0-9a-f]{64}$'),
  primary key (job_id, shard_no),
  check (key_after is null or key_after < key_last),
  constraint export_shards_gzip_described check (
    (encoding = 'identity' and gzip_bytes is null and gzip_header_bytes is null and gzip_sha256 is null)
    or (encoding = 'gzip' and gzip_bytes is not null and gzip_header_bytes is not null and gzip_sha256 is not null)
  )
);
create unique index export_shards_lane_order_idx on public.export_shards (job_id, lane, lane_seq);

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

create table public.export_shard_attempts (
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  shard_no int not null,
  attempt int not null,
  rows int not null,
  bytes bigint not null,
  sha256 text not null,
  storage_key text not null,
  invocation_id uuid not null,
  written_at timestamptz not null,
  replaced_at timestamptz not null default now(),
  replaced_because text,
  primary key (job_id, shard_no, attempt)
);

-- ---- Failed attempts of shards ----------------------------------------------------------------------

create table public.export_shard_failures (
  id bigint generated always as identity primary key,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  run_no int not null,
  -- The shard: its lane and place in the lane (the manifest row with the same pair, once written).
  lane smallint not null,
  lane_seq int not null,
  -- The invocation that held the lane when it failed (null only if the lane had no holder).
  invocation_id uuid,
  -- The lane's attempt count after this failure, and the job's cap: "attempt 2 of 5".
  attempt int not null check (attempt >= 1),
  max_attempts int not null,
  error_kind text,
  error text,
  -- What the lane did next: retry after `next_retry_at`, fail for good, or (a killed holder) queue at once.
  outcome text not null check (outcome in ('retrying', 'failed', 'requeued')),
  next_retry_at timestamptz,
  failed_at timestamptz not null default now()
);
create index export_shard_failures_job_idx on public.export_shard_failures (job_id, lane, lane_seq);

create function private.record_shard_failure() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_rerun int;
begin
  select * into v_job from public.export_jobs where id = new.job_id;
  -- Re-runs are written first, in lane order: the first one still waiting is the one that failed.
  select min(s.lane_seq) into v_rerun from public.export_shards s
  where s.job_id = new.job_id and s.lane = new.lane_no and s.status = 'rerun_requested';
  insert into public.export_shard_failures
    (job_id, run_no, lane, lane_seq, invocation_id, attempt, max_attempts, error_kind, error, outcome, next_retry_at)
  values (new.job_id, v_job.run_no, new.lane_no, coalesce(v_rerun, old.next_seq), old.lease_owner, new.attempts,
          v_job.max_attempts, new.last_error_kind, new.last_error,
          case new.status when 'retrying' then 'retrying' when 'failed' then 'failed' else 'requeued' end,
          new.next_retry_at);
  return null;
end
$$;

create trigger export_lanes_record_shard_failure
  after update of attempts on public.export_lanes
  for each row when (new.attempts > old.attempts)
  execute function private.record_shard_failure();

-- ---- Events -----------------------------------------------------------------------------------------

create table public.export_events (
  id bigint generated always as identity primary key,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  run_no int not null,
  kind text not null check (kind in ('cancel_requested', 'rerun_requested', 'completed', 'failed', 'cancelled',
                                     'renamed', 'downloaded')),
  -- Who did it (null: the system, or a member since deleted).
  actor uuid references auth.users (id) on delete set null,
  -- rerun_requested: {shard_ranges: [[from, to], …], tail}; outcomes: {rows, shards, error_kind, error};
  -- renamed: {from, to}; downloaded: {form, partial, bytes}.
  detail jsonb not null default '{}',
  at timestamptz not null default now()
);
create index export_events_job_idx on public.export_events (job_id, at);

-- Who did it (see the contract): the signed-in caller; from the service role, the user named in the
-- `x-baton-actor` header (API routes acting for a user they already authenticated), else null. A header
-- sent with a user's own token is ignored, so nobody can sign an action with someone else's name.
create function private.request_actor()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_actor text;
begin
  if (select auth.role()) is distinct from 'service_role' then
    return (select auth.uid());
  end if;
  v_actor := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-baton-actor';
  if v_actor ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return v_actor::uuid;
  end if;
  return null;
end
$$;

-- Shard numbers as ascending ranges: {3,4,5,9} → [[3,5],[9,9]].
create function private.shard_ranges(p_job_id uuid, p_status text)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select coalesce(jsonb_agg(jsonb_build_array(lo, hi) order by lo), '[]'::jsonb)
  from (
    select min(shard_no) as lo, max(shard_no) as hi
    from (select shard_no, shard_no - row_number() over (order by shard_no) as island
          from public.export_shards where job_id = p_job_id and status = p_status) s
    group by island
  ) r
$$;

create function private.record_export_job_events() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.cancel_requested_at is null and new.cancel_requested_at is not null then
    insert into public.export_events (job_id, run_no, kind, actor, at)
    values (new.id, new.run_no, 'cancel_requested', private.request_actor(), new.cancel_requested_at);
  end if;
  if new.run_no > old.run_no then
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (new.id, new.run_no, 'rerun_requested', private.request_actor(), jsonb_build_object(
      'shard_ranges', private.shard_ranges(new.id, 'rerun_requested'),
      'tail', exists (select 1 from public.export_lanes l where l.job_id = new.id and not l.tail_complete)));
  end if;
  if new.status is distinct from old.status and new.status in ('completed', 'failed', 'cancelled') then
    -- From the manifest: the job row's counters are refreshed after its status changes.
    insert into public.export_events (job_id, run_no, kind, detail)
    select new.id, new.run_no, new.status, jsonb_build_object(
      'rows', coalesce(sum(s.rows), 0), 'shards', count(*),
      'error_kind', new.last_error_kind, 'error', new.last_error)
    from public.export_shards s where s.job_id = new.id and s.status = 'written';
  end if;
  if new.name is distinct from old.name then
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (new.id, new.run_no, 'renamed', private.request_actor(), jsonb_build_object('from', old.name, 'to', new.name));
  end if;
  return null;
end
$$;

create trigger export_jobs_record_events
  after update on public.export_jobs
  for each row execute function private.record_export_job_events();

-- The download route (a whole-file GET) puts each download on the timeline, for the current run.
create function public.record_export_download(p_job_id uuid, p_actor uuid, p_detail jsonb)
returns void
language sql
set search_path = ''
as $$
  insert into public.export_events (job_id, run_no, kind, actor, detail)
  select j.id, j.run_no, 'downloaded', p_actor, p_detail from public.export_jobs j where j.id = p_job_id
$$;

-- ---- RLS and privileges -----------------------------------------------------------------------------

alter table public.export_shards enable row level security;
alter table public.export_shard_attempts enable row level security;
alter table public.export_shard_failures enable row level security;
alter table public.export_events enable row level security;

create policy "Members can see shards of jobs they can see" on public.export_shards
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see shard attempts of jobs they can see" on public.export_shard_attempts
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see failed shard attempts of jobs they can see" on public.export_shard_failures
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see events of jobs they can see" on public.export_events
  for select to authenticated using (job_id in (select id from public.export_jobs));

revoke all on public.export_shards, public.export_shard_attempts, public.export_shard_failures,
  public.export_events from anon;
revoke insert, update, delete, truncate on public.export_shards, public.export_shard_attempts,
  public.export_shard_failures, public.export_events from authenticated;

-- Internal: only the service role (the API routes, the state machine) calls these.
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'private.clear_shard_problem_details()',
    'public.record_export_shard_problem(uuid, int, int, text, text)',
    'private.record_shard_failure()',
    'private.request_actor()',
    'private.shard_ranges(uuid, text)',
    'private.record_export_job_events()',
    'public.record_export_download(uuid, uuid, jsonb)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
