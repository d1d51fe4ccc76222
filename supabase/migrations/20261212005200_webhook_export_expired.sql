-- Retention's expiry emits `export.expired`. An expired export keeps the status its run ended with
-- (retention: `end_export_expiry` sets `expired_at` once every object is gone), so this event hangs on
-- `expired_at` being set, not on a status: a second trigger passes `expired` as the state to look up in
-- `webhook_event_types`. Every event's data now carries `expires_at` and `expired_at` too.

insert into public.webhook_event_types (event_type, job_status) values ('export.expired', 'expired');

create or replace function private.enqueue_webhook_event()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text;
  v_message_id text;
  v_queued int;
begin
  -- The trigger's argument names a state that is not a status (retention's `expired`); else the status.
  select t.event_type into v_event from public.webhook_event_types t
  where t.job_status = coalesce(tg_argv[0], new.status);
  if v_event is null then
    return null;
  end if;
  insert into public.webhook_messages (organisation_id, job_id, run_no, event_type, body)
  values (new.organisation_id, new.id, new.run_no, v_event, jsonb_build_object(
    'type', v_event,
    'timestamp', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'data', jsonb_build_object(
      'id', new.id,
      'organisation_id', new.organisation_id,
      'name', new.name,
      'status', new.status,
      'run', new.run_no,
      'collection', new.collection,
      'format', new.format,
      'estimated_rows', new.estimated_rows,
      'rows_written', new.rows_written,
      'shards_written', new.shards_written,
      'bytes_written', new.bytes_written,
      'created_at', new.created_at,
      'started_at', new.started_at,
      'finished_at', new.finished_at,
      'expires_at', new.expires_at,
      'expired_at', new.expired_at,
      'error', case when new.status = 'failed' then new.last_error end,
      'error_kind', case when new.status = 'failed' then new.last_error_kind end
    )
  )::text)
  on conflict on constraint webhook_messages_one_per_run_and_event do nothing
  returning id into v_message_id;
  if v_message_id is null then
    return null; -- this run already emitted this event (e.g. running again after a retry)
  end if;
  insert into public.webhook_deliveries (message_id, endpoint_id, organisation_id, next_attempt_at)
  select v_message_id, e.id, e.organisation_id, now()
  from public.webhook_endpoints e
  where e.organisation_id = new.organisation_id and e.enabled and v_event = any (e.events);
  get diagnostics v_queued = row_count;
  if v_queued > 0 then
    perform private.kick_webhook_deliveries();
  end if;
  return null;
end
$$;

create trigger enqueue_webhook_expired_event after update of expired_at on public.export_jobs
  for each row when (old.expired_at is null and new.expired_at is not null)
  execute function private.enqueue_webhook_event('expired');
