-- A cursor on the manifest's write order, so a live page reads only what changed since its last read.
--
-- The export page read the whole manifest (every shard, replaced attempt and invocation of the job)
-- whenever the live job row moved: O(shards) a read, O(n²) over an export watched to its end.
--
-- Contract:
-- * Every row of `export_shards`, `export_shard_attempts` and `export_invocations` carries `change_xid`:
--   the transaction that last wrote it (`pg_current_xact_id()`, 64 bits, only grows), set by a trigger
--   on every insert and update, whoever writes. Rows written before this migration carry 0.
-- * `export_change_horizon()` is a read's cursor: the oldest transaction its snapshot could not see yet
--   (`pg_snapshot_xmin`). A transaction below it had ended when the snapshot was taken, so whatever it
--   committed was visible; anything the read could not see was written by a transaction at or above it.
--   So a client that reads a job's rows, then later reads the rows with `change_xid >= <cursor of the
--   first read>`, has every row as it stands — whatever committed in between, in whatever order, with no
--   lock taken by any writer. (A sequence would not do: its values are drawn before commit, so a row
--   committed late with an old number hides below a cursor taken from newer rows.) A row may come
--   twice, when its writer was still open at the first read; the client replaces it by its key.
-- * A read made of several statements (the full read pages through PostgREST) asks for the horizon
--   first: its statements' snapshots are all later, so the horizon is as safe for them.
-- * What the cursor cannot show is a deleted row. Shards, attempts and invocations are never deleted
--   (only with their job). Failures can be withdrawn (`withdraw_wrongful_reap`) and events are a
--   handful a run: the page reads both whole.
-- * Each of the three tables gets a (job_id, change_xid) index: a read since a cursor costs the rows
--   changed since, not the job's.
-- * The horizon reveals only how far the server's transaction counter has gone, which every row's
--   `change_xid` shows too; signed-in users may ask for it (the export page reads as its user, RLS on).

alter table public.export_shards add column change_xid bigint not null default 0;
alter table public.export_shard_attempts add column change_xid bigint not null default 0;
alter table public.export_invocations add column change_xid bigint not null default 0;

comment on column public.export_shards.change_xid is
  'The transaction that last wrote the row (pg_current_xact_id): the live page reads rows at or after its cursor (export_change_horizon).';
comment on column public.export_shard_attempts.change_xid is
  'The transaction that wrote the row (pg_current_xact_id): the live page reads rows at or after its cursor (export_change_horizon).';
comment on column public.export_invocations.change_xid is
  'The transaction that last wrote the row (pg_current_xact_id): the live page reads rows at or after its cursor (export_change_horizon).';

create function private.stamp_change_xid()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- xid8 has no cast to bigint; its text form is the number. Beyond 2^63 only after ~10^10 epochs.
  new.change_xid := pg_current_xact_id()::text::bigint;
  return new;
end
$$;

create trigger export_shards_stamp_change_xid before insert or update on public.export_shards
  for each row execute function private.stamp_change_xid();
create trigger export_shard_attempts_stamp_change_xid before insert or update on public.export_shard_attempts
  for each row execute function private.stamp_change_xid();
create trigger export_invocations_stamp_change_xid before insert or update on public.export_invocations
  for each row execute function private.stamp_change_xid();

create index export_shards_change_idx on public.export_shards (job_id, change_xid);
create index export_shard_attempts_change_idx on public.export_shard_attempts (job_id, change_xid);
create index export_invocations_change_idx on public.export_invocations (job_id, change_xid);

-- The cursor of a read that starts now (see the contract). Stable: one snapshot, the statement's.
create function public.export_change_horizon()
returns bigint
language sql
stable
set search_path = ''
as $$
  select pg_snapshot_xmin(pg_current_snapshot())::text::bigint
$$;

revoke execute on function private.stamp_change_xid() from public, anon, authenticated;
grant execute on function private.stamp_change_xid() to service_role;
revoke execute on function public.export_change_horizon() from public, anon;
grant execute on function public.export_change_horizon() to authenticated, service_role;
