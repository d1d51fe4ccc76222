-- Notifications carry the error kind, and a read in one tab reaches the others.
--
-- Before: a failed export's notification had only its raw error as body ("Lane 1: Request failed with HTTP
-- code 503 | Server said: Not Ready or Lagging Export c3703a57."), so the bell and the toast showed text
-- meant for support (issue 23, item 3). And only INSERTs were broadcast, so marking a notification read in
-- one tab left every other tab of the same person saying "1 unread" until a reload (item 2).
--
-- Contract:
-- * `notifications.error_kind` is the job's `last_error_kind` when the outcome is `export_failed` (null for
--   every other outcome, and for a failure that recorded no kind). The dashboard turns it into a sentence
--   (lib/view-model/plain-error.ts holds the one mapping of kinds to words); the body keeps the raw error
--   for the folded details, as before.
-- * Failed notifications written before this migration get the kind their job holds now, where the job is
--   still on the run that failed (a later run's error would describe another failure).
-- * Setting `read_at` broadcasts the row on the owner's topic `user:<id>:notifications`, as an INSERT does:
--   only that user may join the topic (the policy on realtime.messages is unchanged).

alter table public.notifications add column error_kind text;

comment on column public.notifications.error_kind is
  'For export_failed: the kind of the error the export failed on (export_jobs.last_error_kind), for the dashboard to put into words. Null otherwise.';

update public.notifications n
set error_kind = j.last_error_kind
from public.export_jobs j
where n.job_id = j.id and n.kind = 'export_failed' and n.run_no = j.run_no;

-- Exactly one notification per job, run and outcome: the unique constraint decides, not a prior read. A
-- job whose requester was deleted notifies nobody. The title names the export, the body its numbers
-- ("66,769 rows in 1 shard") and its short id; a failure's body is its raw error, its kind a column.
create or replace function private.notify_export_outcome(p_job_id uuid, p_kind text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_job public.export_jobs;
  v_title text;
  v_body text;
  v_written text;
begin
  select * into v_job from public.export_jobs where id = p_job_id;
  if v_job.requested_by is null then
    return;
  end if;
  v_written := private.format_count(v_job.rows_written, 'row', 'rows') || ' in '
    || private.format_count(v_job.shards_written, 'shard', 'shards');
  case p_kind
    when 'export_completed' then
      v_title := format('Export completed: %s', v_job.name);
      v_body := format('%s (%s).', v_written, upper(v_job.format));
    when 'export_failed' then
      v_title := format('Export failed: %s', v_job.name);
      v_body := coalesce(v_job.last_error, 'The export failed.');
    when 'export_cancelled' then
      v_title := format('Export cancelled: %s', v_job.name);
      v_body := format('%s written before the cancel.', v_written);
  end case;
  v_body := left(v_body, 1900) || format(' Export %s.', left(v_job.id::text, 8));
  insert into public.notifications (user_id, organisation_id, job_id, run_no, kind, title, body, error_kind)
  values (
    v_job.requested_by, v_job.organisation_id, v_job.id, v_job.run_no, p_kind, left(v_title, 300), v_body,
    case when p_kind = 'export_failed' then v_job.last_error_kind end
  )
  on conflict on constraint notifications_one_per_run_and_kind do nothing;
end
$$;

-- Only a change of read_at is news to the other tabs; no other column is updated after the insert. (An
-- insert trigger's WHEN may not read OLD, hence a trigger of its own for the update.)
create trigger broadcast_notification_read
  after update of read_at on public.notifications
  for each row when (old.read_at is distinct from new.read_at)
  execute function private.broadcast_notification();
