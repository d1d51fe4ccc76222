-- Export jobs, their shard manifest, the invocations that worked on them, and notifications.
--
-- Contract:
-- * `export_jobs` is small on purpose: Realtime sends the whole row on every UPDATE. Progress counters
--   on it are coalesced by the worker (a few writes a second at most); the manifest is always exact.
-- * `export_shards` is the manifest: one row per shard, written only after the shard object is in
--   storage (invariant 3). Its `storage_key` includes the lease generation that wrote it, so a write
--   by an invocation that lost its lease lands on a key no manifest row points to (invariant 4).
-- * `export_shard_attempts` keeps what a re-run shard replaced: attempts, not overwrites.
-- * `notifications` are unique per (job, kind): a second insert of the same outcome is a no-op
--   (invariant 6), enforced by the constraint, never by check-then-insert.
-- * Users read all of these through RLS by organisation membership (invariant 8); every change goes
--   through the SQL functions of the state machine migration.

create table public.export_jobs (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  source_id uuid not null references public.export_sources (id) on delete restrict,
  requested_by uuid not null references auth.users (id) on delete cascade,

  -- What to export, fixed when the job starts so every shard has the same columns.
  collection text not null,
  key_field text not null,
  mandatory_filter text,
  filter text check (filter is null or length(filter) <= 2000),
  fields text[] not null check (cardinality(fields) between 1 and 500),
  format text not null check (format in ('csv', 'ndjson')),
  -- Typesense serves at most 250 hits a page.
  page_size int not null default 250 check (page_size between 1 and 250),
  neutralise_formulas boolean not null default true,

  status text not null default 'queued'
    check (status in ('queued', 'running', 'retrying', 'completed', 'failed', 'cancelled')),
  cancel_requested_at timestamptz,

  -- `found` at start; compared with rows_written when the job completes (a mismatch is shown, never hidden).
  estimated_rows bigint not null check (estimated_rows >= 0),
  shards_written int not null default 0,
  rows_written bigint not null default 0,
  bytes_written bigint not null default 0,
  -- Set when a short page showed the key range is exhausted.
  tail_complete boolean not null default false,

  -- Lease: at most one invocation works on a job at a time. The generation only grows.
  lease_owner uuid,
  lease_expires_at timestamptz,
  lease_generation bigint not null default 0,

  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 5 check (max_attempts between 1 and 50),
  next_retry_at timestamptz,
  last_error text,
  last_error_kind text,

  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
create index export_jobs_organisation_created_idx on public.export_jobs (organisation_id, created_at desc);
create index export_jobs_sweep_idx on public.export_jobs (status) where status in ('queued', 'running', 'retrying');

create table public.export_shards (
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  shard_no int not null check (shard_no >= 1),
  -- The shard holds keys in (key_after, key_last]; key_after is null for the first shard.
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
  -- Why the shard needs a re-run (verification found it missing or corrupt, or support asked).
  problem text,
  written_at timestamptz not null default now(),
  duration_ms int not null default 0,
  primary key (job_id, shard_no),
  check (key_after is null or key_after < key_last)
);

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

create table public.export_invocations (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  -- null when the invocation did not get the lease.
  generation bigint,
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  shards_written int not null default 0,
  rows_written bigint not null default 0,
  end_reason text check (end_reason in ('handoff', 'completed', 'cancelled', 'error', 'lease_lost', 'killed', 'declined')),
  cpu_ms int,
  wall_ms int,
  -- Largest V8 heap seen after a shard: the evidence that memory is O(page), not O(export).
  peak_heap_bytes bigint,
  error text
);
create index export_invocations_job_idx on public.export_invocations (job_id, started_at);

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  kind text not null check (kind in ('export_completed', 'export_failed', 'export_cancelled')),
  title text not null,
  body text not null,
  read_at timestamptz,
  created_at timestamptz not null default now(),
  constraint notifications_one_per_job_and_kind unique (job_id, kind)
);
create index notifications_user_created_idx on public.notifications (user_id, created_at desc);

create function private.touch_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;
create trigger export_jobs_touch_updated_at before update on public.export_jobs
  for each row execute function private.touch_updated_at();

-- RLS: members read their organisation's jobs and everything hanging off them.
alter table public.export_jobs enable row level security;
alter table public.export_shards enable row level security;
alter table public.export_shard_attempts enable row level security;
alter table public.export_invocations enable row level security;
alter table public.notifications enable row level security;

create policy "Members can see their organisation's export jobs" on public.export_jobs
  for select to authenticated using (private.is_org_member(organisation_id));

create policy "Members can see shards of jobs they can see" on public.export_shards
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see shard attempts of jobs they can see" on public.export_shard_attempts
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Members can see invocations of jobs they can see" on public.export_invocations
  for select to authenticated using (job_id in (select id from public.export_jobs));

create policy "Users can see their own notifications" on public.notifications
  for select to authenticated using (user_id = (select auth.uid()));

create policy "Users can mark their own notifications read" on public.notifications
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));

revoke all on public.export_jobs, public.export_shards, public.export_shard_attempts,
  public.export_invocations, public.notifications from anon;
revoke insert, update, delete, truncate on public.export_jobs, public.export_shards,
  public.export_shard_attempts, public.export_invocations, public.notifications from authenticated;
-- The only write a user makes directly: marking a notification read.
grant update (read_at) on public.notifications to authenticated;

alter publication supabase_realtime add table public.export_jobs, public.notifications;
