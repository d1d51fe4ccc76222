-- Live progress over Broadcast from Database on private channels.
--
-- Contract:
-- * Triggers broadcast every change of a job on two private topics, and every new notification on one:
--     export:<job id>                 the job detail page (INSERT, UPDATE of that job)
--     org:<organisation id>:exports   the exports list (INSERT, UPDATE of any job of the organisation)
--     user:<user id>:notifications    the bell (INSERT of that user's notifications)
--   The payload is `realtime.broadcast_changes`' {record, old_record, operation, table, schema}.
-- * Who may join a topic is decided by the SELECT policy on `realtime.messages` below, which Realtime
--   evaluates as the joining user (design invariant 8): a job's topic needs RLS read access to the job,
--   an organisation's list topic needs membership, a notification topic is its own user's only. Nobody
--   else (anon, other organisations) can join, so nobody else receives anything — not even the fact that
--   something happened, which postgres_changes would tell every subscriber. No table is in the
--   `supabase_realtime` publication: nothing reads them through postgres_changes.
-- * The realtime schema itself (`realtime.messages`, `send`, `broadcast_changes`, `topic()`) is the
--   platform's; this migration only adds triggers and a policy.

create function private.broadcast_export_job()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes('export:' || new.id::text, tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
  perform realtime.broadcast_changes(
    'org:' || new.organisation_id::text || ':exports', tg_op, tg_op, tg_table_name, tg_table_schema, new, old
  );
  return null;
end
$$;

create function private.broadcast_notification()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.broadcast_changes(
    'user:' || new.user_id::text || ':notifications', tg_op, tg_op, tg_table_name, tg_table_schema, new, old
  );
  return null;
end
$$;

revoke execute on function private.broadcast_export_job(), private.broadcast_notification() from public, anon, authenticated;

create trigger broadcast_export_job
  after insert or update on public.export_jobs
  for each row execute function private.broadcast_export_job();

create trigger broadcast_notification
  after insert on public.notifications
  for each row execute function private.broadcast_notification();

-- Topics carry uuids; the CASE casts only what has the shape (a bad topic is denied, never an error).
create policy "Members receive their jobs, organisations' lists and own notifications" on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (
      (select realtime.topic()) = 'user:' || (select auth.uid())::text || ':notifications'
      or exists (
        select 1 from public.export_jobs j
        where j.id = case
          when (select realtime.topic()) ~ '^export:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
          then substr((select realtime.topic()), length('export:') + 1)::uuid
        end
      )
      or exists (
        select 1 from public.memberships m
        where m.user_id = (select auth.uid())
          and 'org:' || m.organisation_id::text || ':exports' = (select realtime.topic())
      )
    )
  );
