-- Job progress from per-lane counters, not from sums over the manifest.
--
-- `private.refresh_export_progress` summed every written shard of the job (grouped by lane) to set the job
-- row's counters and its `lanes` array, and it runs with every coalesced progress write (two a second
-- per job) and every change of a lane's state: each call cost O(shards written so far), so an export of
-- n shards spent O(n²) on its own progress — a 4,000-shard export re-read its manifest some thousands of
-- times. The terminal event of each run summed the manifest once more.
--
-- Contract:
-- * Each lane keeps what its written shards (`status = 'written'`) add up to: how many, their rows,
--   their plain bytes and header bytes, and of those stored as gzip how many, their bytes and their
--   header members' bytes. The counters change in the statement that changes the manifest (statement
--   triggers on `export_shards`, one lane-row update per lane the statement touched), so they are exact
--   whoever writes it: a recorded shard adds itself; a shard marked for a re-run subtracts itself (it is
--   not part of the file until it is written again, as before); its re-run adds what it wrote; a problem
--   recorded on a shard changes nothing. No caller can forget them.
-- * `refresh_export_progress` derives the job's counters and `lanes` from the job's lanes (at most 8
--   rows) and the first written shard in file order, whose header the file keeps — one probe of the
--   (job, lane, lane_seq) index. Its result is what the sums gave, except that the plain file's size now
--   counts the header of that first shard, as the download does (`lib/download/download-plan.ts`),
--   instead of the largest header: every shard of a job has the same header, so the number is the same.
-- * A run's outcome event takes its rows and shards from the same counters.
-- * Shards waiting for a re-run get a partial index: the functions that look for them (a claim's work,
--   a lane's finish, a failure naming its shard, a re-run request) read those rows, not the lane's whole
--   manifest.
--
-- Lock order: the triggers update lane rows after the manifest's writer has taken the job row, as every
-- writer of the manifest does (record_export_shard holds the job and the lane; request_export_rerun the
-- job; record_export_shard_problem changes no counter and updates no lane).

alter table public.export_lanes
  add column shards_written int not null default 0 check (shards_written >= 0),
  add column rows_written bigint not null default 0 check (rows_written >= 0),
  add column bytes_written bigint not null default 0 check (bytes_written >= 0),
  add column header_bytes_written bigint not null default 0 check (header_bytes_written >= 0),
  add column gzip_shards_written int not null default 0 check (gzip_shards_written >= 0),
  add column gzip_bytes_written bigint not null default 0 check (gzip_bytes_written >= 0),
  add column gzip_header_bytes_written bigint not null default 0 check (gzip_header_bytes_written >= 0);

comment on column public.export_lanes.shards_written is
  'Written shards of the lane (status written), kept by triggers on export_shards; rows_written … gzip_header_bytes_written are their sums.';

-- Lanes of jobs that exist already: what their manifests hold now (once; the triggers keep it from here).
update public.export_lanes l
set shards_written = s.shards, rows_written = s.rows, bytes_written = s.bytes, header_bytes_written = s.header_bytes,
    gzip_shards_written = s.gzip_shards, gzip_bytes_written = s.gzip_bytes, gzip_header_bytes_written = s.gzip_header_bytes
from (
  select job_id, lane, count(*)::int as shards, sum(rows)::bigint as rows, sum(bytes)::bigint as bytes,
         sum(header_bytes)::bigint as header_bytes, count(*) filter (where encoding = 'gzip')::int as gzip_shards,
         coalesce(sum(gzip_bytes), 0)::bigint as gzip_bytes, coalesce(sum(gzip_header_bytes), 0)::bigint as gzip_header_bytes
  from public.export_shards where status = 'written'
  group by job_id, lane
) s
where l.job_id = s.job_id and l.lane_no = s.lane;

create index export_shards_rerun_idx on public.export_shards (job_id, lane, lane_seq) where status = 'rerun_requested';

-- Applies a change of the manifest to its lanes' counters: the written shards in `p_removed` leave them,
-- those in `p_added` join them. One update per lane, none where nothing counted changed.
create function private.count_lane_shards(p_removed public.export_shards[], p_added public.export_shards[])
returns void
language sql
set search_path = ''
as $$
  update public.export_lanes l
  set shards_written = l.shards_written + c.shards,
      rows_written = l.rows_written + c.rows,
      bytes_written = l.bytes_written + c.bytes,
      header_bytes_written = l.header_bytes_written + c.header_bytes,
      gzip_shards_written = l.gzip_shards_written + c.gzip_shards,
      gzip_bytes_written = l.gzip_bytes_written + c.gzip_bytes,
      gzip_header_bytes_written = l.gzip_header_bytes_written + c.gzip_header_bytes
  from (
    select s.job_id, s.lane,
           sum(s.sign)::int as shards,
           sum(s.sign * s.rows)::bigint as rows,
           sum(s.sign * s.bytes)::bigint as bytes,
           sum(s.sign * s.header_bytes)::bigint as header_bytes,
           coalesce(sum(s.sign) filter (where s.encoding = 'gzip'), 0)::int as gzip_shards,
           coalesce(sum(s.sign * s.gzip_bytes) filter (where s.encoding = 'gzip'), 0)::bigint as gzip_bytes,
           coalesce(sum(s.sign * s.gzip_header_bytes) filter (where s.encoding = 'gzip'), 0)::bigint as gzip_header_bytes
    from (
      select -1 as sign, r.job_id, r.lane, r.rows, r.bytes, r.header_bytes, r.encoding, r.gzip_bytes, r.gzip_header_bytes
      from unnest(p_removed) r where r.status = 'written'
      union all
      select 1, a.job_id, a.lane, a.rows, a.bytes, a.header_bytes, a.encoding, a.gzip_bytes, a.gzip_header_bytes
      from unnest(p_added) a where a.status = 'written'
    ) s
    group by s.job_id, s.lane
  ) c
  where l.job_id = c.job_id and l.lane_no = c.lane
    and (c.shards, c.rows, c.bytes, c.header_bytes, c.gzip_shards, c.gzip_bytes, c.gzip_header_bytes)
        is distinct from (0, 0, 0, 0, 0, 0, 0)
$$;

-- The statement's changed rows, as transition tables: inserted, deleted, or updated in anything counted
-- (a problem recorded on a shard is not). Security definer: the manifest's writers are the state
-- machine's functions (the service role) and a member's re-run request.
create function private.count_lane_shards_of_statement()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform private.count_lane_shards(null, array(select n::public.export_shards from new_rows n));
  elsif tg_op = 'DELETE' then
    perform private.count_lane_shards(array(select o::public.export_shards from old_rows o), null);
  else
    perform private.count_lane_shards(
      array(select o::public.export_shards from old_rows o join new_rows n on n.job_id = o.job_id and n.shard_no = o.shard_no
            where (o.status, o.lane, o.rows, o.bytes, o.header_bytes, o.encoding, o.gzip_bytes, o.gzip_header_bytes)
                  is distinct from (n.status, n.lane, n.rows, n.bytes, n.header_bytes, n.encoding, n.gzip_bytes, n.gzip_header_bytes)),
      array(select n::public.export_shards from old_rows o join new_rows n on n.job_id = o.job_id and n.shard_no = o.shard_no
            where (o.status, o.lane, o.rows, o.bytes, o.header_bytes, o.encoding, o.gzip_bytes, o.gzip_header_bytes)
                  is distinct from (n.status, n.lane, n.rows, n.bytes, n.header_bytes, n.encoding, n.gzip_bytes, n.gzip_header_bytes)));
  end if;
  return null;
end
$$;

create trigger export_shards_count_inserted after insert on public.export_shards
  referencing new table as new_rows
  for each statement execute function private.count_lane_shards_of_statement();
create trigger export_shards_count_updated after update on public.export_shards
  referencing old table as old_rows new table as new_rows
  for each statement execute function private.count_lane_shards_of_statement();
create trigger export_shards_count_deleted after delete on public.export_shards
  referencing old table as old_rows
  for each statement execute function private.count_lane_shards_of_statement();

-- As in 20261206000400_export_state_machine.sql, from the lanes' counters: counters on the job row and
-- the compact per-lane array; the plain file's size (the first shard's header once, every other shard's
-- stripped) and the compressed file's (the same with header members; only when every written shard is
-- stored as gzip).
create or replace function private.refresh_export_progress(p_job_id uuid)
returns void
language sql
set search_path = ''
as $$
  with lanes as (
    select coalesce(sum(l.shards_written), 0)::int as shards, coalesce(sum(l.rows_written), 0)::bigint as rows,
           coalesce(sum(l.bytes_written), 0)::bigint as bytes,
           coalesce(sum(l.header_bytes_written), 0)::bigint as header_bytes,
           coalesce(sum(l.gzip_shards_written), 0)::int as gzip_shards,
           coalesce(sum(l.gzip_bytes_written), 0)::bigint as gzip_bytes,
           coalesce(sum(l.gzip_header_bytes_written), 0)::bigint as gzip_header_bytes,
           coalesce(jsonb_agg(jsonb_build_object(
             'lane', l.lane_no, 'status', l.status, 'shards', l.shards_written, 'rows', l.rows_written,
             'estimated', l.estimated_rows, 'attempts', l.attempts) order by l.lane_no), '[]'::jsonb) as summary
    from public.export_lanes l
    where l.job_id = p_job_id
  ), first_shard as (
    -- The shard the file starts with keeps its header (member); the index serves it in one probe.
    select s.header_bytes, s.gzip_header_bytes from public.export_shards s
    where s.job_id = p_job_id and s.status = 'written'
    order by s.lane, s.lane_seq
    limit 1
  ), totals as (
    select t.shards, t.rows,
           (t.bytes - t.header_bytes + coalesce((select f.header_bytes from first_shard f), 0))::bigint as bytes,
           case when t.shards > 0 and t.gzip_shards = t.shards
                then (t.gzip_bytes - t.gzip_header_bytes + (select f.gzip_header_bytes from first_shard f))::bigint
           end as gzip_bytes,
           t.summary
    from lanes t
  )
  update public.export_jobs j
  set shards_written = t.shards, rows_written = t.rows, bytes_written = t.bytes, gzip_bytes_written = t.gzip_bytes,
      lanes = t.summary
  from totals t
  where j.id = p_job_id
    and (j.shards_written, j.rows_written, j.bytes_written, j.gzip_bytes_written, j.lanes)
        is distinct from (t.shards, t.rows, t.bytes, t.gzip_bytes, t.summary)
$$;

-- As in 20261206000300_shards_and_history.sql, with a run's outcome counted from its lanes' counters.
create or replace function private.record_export_job_events() returns trigger
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
    -- From the lanes' counters: the job row's are refreshed after its status changes.
    insert into public.export_events (job_id, run_no, kind, detail)
    select new.id, new.run_no, new.status, jsonb_build_object(
      'rows', coalesce(sum(l.rows_written), 0)::bigint, 'shards', coalesce(sum(l.shards_written), 0)::bigint,
      'error_kind', new.last_error_kind, 'error', new.last_error)
    from public.export_lanes l where l.job_id = new.id;
  end if;
  if new.name is distinct from old.name then
    insert into public.export_events (job_id, run_no, kind, actor, detail)
    values (new.id, new.run_no, 'renamed', private.request_actor(), jsonb_build_object('from', old.name, 'to', new.name));
  end if;
  return null;
end
$$;

revoke execute on function private.count_lane_shards(public.export_shards[], public.export_shards[]),
  private.count_lane_shards_of_statement()
  from public, anon, authenticated;
grant execute on function private.count_lane_shards(public.export_shards[], public.export_shards[]),
  private.count_lane_shards_of_statement()
  to service_role;
