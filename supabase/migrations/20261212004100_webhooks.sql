-- Signed webhooks for export events, delivered at least once from a durable queue in Postgres.
--
-- Contract:
-- * `webhook_event_types` maps a job status to the event it emits (`running` → `export.started`, each
--   terminal status → `export.<status>`). A new status that should emit an event (retention's `expired`)
--   is one row here and one entry in supabase/functions/_shared/webhooks/webhook-events.ts.
-- * An admin registers endpoints for their organisation (`register_webhook_endpoint`): an URL, the events
--   it wants and a signing secret (`whsec_…`). Only admins see or change endpoints, deliveries and
--   attempts (RLS); no user reads a secret back (`webhook_endpoint_secrets` has no grant for them): the
--   dashboard shows it once, at creation.
-- * When a job enters a status that emits an event, a trigger writes one message per job, run and event
--   (`webhook_messages`, the outbox: its id is the `webhook-id` of every attempt) and one delivery per
--   enabled endpoint subscribed to that event (`webhook_deliveries`), in the transaction that changed the
--   job: an event is queued exactly when its status change commits.
-- * The `webhook-deliveries` Edge Function claims due deliveries (`claim_webhook_deliveries`, FOR UPDATE
--   SKIP LOCKED; the claim pushes `next_attempt_at` forward by a lease, so a delivery whose invocation died
--   becomes due again), POSTs them and records each attempt (`record_webhook_attempt`). A failed attempt is
--   due again after the backoff the function computes, until the retry window (a day) has passed.
-- * An endpoint whose attempts have all failed for `p_disable_after_ms` (3 days in production) is disabled
--   and its organisation's admins get a `webhook_disabled` notification.
-- * Who kicks the function: pg_cron every 10 s when a delivery is due (the export sweep's schedule), and the
--   trigger at once through pg_net, so an event does not wait for the next sweep. The devstack, which has
--   neither, listens for `baton_webhook_deliveries` notifications and runs the same sweep on its timer.
--
-- Lock order: the trigger runs under the job row's lock (taken by the state machine) and only inserts
-- below it; the delivery functions lock a delivery row, then its endpoint row; nothing locks a job.

create function private.is_org_admin(p_organisation_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.organisation_id = p_organisation_id and m.user_id = (select auth.uid()) and m.role = 'admin'
  )
$$;
revoke execute on function private.is_org_admin(uuid) from public, anon;
grant execute on function private.is_org_admin(uuid) to authenticated, service_role;

-- ---- Event types -------------------------------------------------------------------------------------

create table public.webhook_event_types (
  event_type text primary key check (event_type ~ '^export\.[a-z_]+$'),
  job_status text not null unique
);
comment on table public.webhook_event_types is
  'Which job status emits which webhook event. A status that should emit one is a row here.';
insert into public.webhook_event_types (event_type, job_status) values
  ('export.started', 'running'),
  ('export.completed', 'completed'),
  ('export.failed', 'failed'),
  ('export.cancelled', 'cancelled');

alter table public.webhook_event_types enable row level security;
create policy "Signed-in users can read the webhook event types" on public.webhook_event_types
  for select to authenticated using (true);

-- ---- Endpoints ---------------------------------------------------------------------------------------

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  url text not null check (url ~ '^https?://' and length(url) <= 2048),
  events text[] not null check (cardinality(events) between 1 and 20),
  enabled boolean not null default true,
  disabled_at timestamptz,
  disabled_reason text,
  -- Start of the current run of failed attempts (null after a success): what disabling is measured by.
  failing_since timestamptz,
  last_success_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint webhook_endpoints_disabled_has_a_time check (enabled or disabled_at is not null)
);
create index webhook_endpoints_organisation_idx on public.webhook_endpoints (organisation_id);

-- The signing secrets, apart: no user may read this table, so the endpoints' rows can be read whole.
create table public.webhook_endpoint_secrets (
  endpoint_id uuid primary key references public.webhook_endpoints (id) on delete cascade,
  -- `whsec_` + base64 of 24 random bytes, as Standard Webhooks libraries make them.
  secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/]{32}$')
);

-- Events are checked against the table above (a check constraint cannot read a table).
create function private.check_webhook_endpoint_events()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_unknown text;
begin
  select e into v_unknown from unnest(new.events) e
  where e not in (select t.event_type from public.webhook_event_types t) limit 1;
  if v_unknown is not null then
    raise exception 'Unknown webhook event "%". Choose from: %.', v_unknown,
      (select string_agg(t.event_type, ', ' order by t.event_type) from public.webhook_event_types t)
      using errcode = '22023';
  end if;
  return new;
end
$$;
create trigger check_webhook_endpoint_events before insert or update of events on public.webhook_endpoints
  for each row execute function private.check_webhook_endpoint_events();

-- ---- Messages (the outbox), deliveries, attempts ------------------------------------------------------

create table public.webhook_messages (
  -- The `webhook-id` header: the same on every attempt of every delivery of this event.
  id text primary key default 'msg_' || replace(gen_random_uuid()::text, '-', ''),
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  -- No foreign key: an event outlives the export it describes (retention may delete the job).
  job_id uuid not null,
  run_no int not null,
  event_type text not null references public.webhook_event_types (event_type),
  -- The exact body every attempt sends and signs.
  body text not null,
  created_at timestamptz not null default now(),
  constraint webhook_messages_one_per_run_and_event unique (job_id, run_no, event_type)
);
create index webhook_messages_organisation_idx on public.webhook_messages (organisation_id, created_at desc);

create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  message_id text not null references public.webhook_messages (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
  attempts int not null default 0,
  -- When a pending delivery is due; while an attempt is in flight, when its lease ends.
  next_attempt_at timestamptz,
  -- Retries stop this long after it (set when queued, and again by "send again").
  retry_window_from timestamptz not null default now(),
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  constraint webhook_deliveries_one_per_endpoint unique (message_id, endpoint_id),
  constraint webhook_deliveries_pending_is_due check ((status = 'pending') = (next_attempt_at is not null))
);
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint_idx on public.webhook_deliveries (endpoint_id, created_at desc);

create table public.webhook_attempts (
  id bigint generated always as identity primary key,
  delivery_id uuid not null references public.webhook_deliveries (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  attempt int not null,
  started_at timestamptz not null,
  -- The receiver's HTTP status; null when none came back (timeout, refused address, network error).
  response_status int,
  latency_ms int not null check (latency_ms >= 0),
  response_excerpt text check (length(response_excerpt) <= 1000),
  error text check (length(error) <= 1000),
  succeeded boolean not null
);
create index webhook_attempts_endpoint_idx on public.webhook_attempts (endpoint_id, id desc);
create index webhook_attempts_delivery_idx on public.webhook_attempts (delivery_id, id desc);

-- ---- Notifications about endpoints -------------------------------------------------------------------

alter table public.notifications alter column job_id drop not null;
alter table public.notifications
  add column webhook_endpoint_id uuid references public.webhook_endpoints (id) on delete cascade;
alter table public.notifications drop constraint notifications_kind_check;
alter table public.notifications add constraint notifications_kind_check
  check (kind in ('export_completed', 'export_failed', 'export_cancelled', 'export_approval_requested',
                  'webhook_disabled'));
alter table public.notifications add constraint notifications_subject_matches_kind check (
  case kind
    when 'webhook_disabled' then webhook_endpoint_id is not null and job_id is null
    else job_id is not null and webhook_endpoint_id is null
  end
);

-- ---- RLS: admins only --------------------------------------------------------------------------------

alter table public.webhook_endpoints enable row level security;
alter table public.webhook_endpoint_secrets enable row level security;
alter table public.webhook_messages enable row level security;
alter table public.webhook_deliveries enable row level security;
alter table public.webhook_attempts enable row level security;

create policy "Admins can see their organisation's webhook endpoints" on public.webhook_endpoints
  for select to authenticated using ((select private.is_org_admin(organisation_id)));
create policy "Admins can change their organisation's webhook endpoints" on public.webhook_endpoints
  for update to authenticated
  using ((select private.is_org_admin(organisation_id)))
  with check ((select private.is_org_admin(organisation_id)));
create policy "Admins can delete their organisation's webhook endpoints" on public.webhook_endpoints
  for delete to authenticated using ((select private.is_org_admin(organisation_id)));

create policy "Admins can see their organisation's webhook messages" on public.webhook_messages
  for select to authenticated using ((select private.is_org_admin(organisation_id)));
create policy "Admins can see their organisation's webhook deliveries" on public.webhook_deliveries
  for select to authenticated using ((select private.is_org_admin(organisation_id)));
create policy "Admins can see their organisation's webhook attempts" on public.webhook_attempts
  for select to authenticated using ((select private.is_org_admin(organisation_id)));

-- The project's default privileges give every new table to anon and authenticated: take them back,
-- then grant what the policies above are for. Endpoints are inserted by `register_webhook_endpoint`.
revoke all on public.webhook_event_types, public.webhook_endpoints, public.webhook_endpoint_secrets,
  public.webhook_messages, public.webhook_deliveries, public.webhook_attempts from anon, authenticated;
revoke all on sequence public.webhook_attempts_id_seq from anon, authenticated;
grant select on public.webhook_event_types, public.webhook_endpoints, public.webhook_messages,
  public.webhook_deliveries, public.webhook_attempts to authenticated;
grant update (url, events, enabled, disabled_at, disabled_reason, failing_since) on public.webhook_endpoints
  to authenticated;
grant delete on public.webhook_endpoints to authenticated;
grant all on public.webhook_event_types, public.webhook_endpoints, public.webhook_endpoint_secrets,
  public.webhook_messages,
  public.webhook_deliveries, public.webhook_attempts to service_role;

-- ---- Kicking the delivery function -------------------------------------------------------------------

create function private.webhook_deliveries_due()
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (
    select 1 from public.webhook_deliveries d join public.webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= now() and e.enabled
  )
$$;

-- Hosted: one pg_net call to the function (sent when the transaction commits); the devstack has no
-- pg_net and hears the notification instead. Never fails its caller: the sweep is the safety net, and a
-- job's state change must not roll back because a kick could not be queued.
create function private.kick_webhook_deliveries()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
begin
  perform pg_notify('baton_webhook_deliveries', '');
  if not exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 where n.nspname = 'net' and p.proname = 'http_post')
     or to_regclass('vault.decrypted_secrets') is null then
    return;
  end if;
  execute $q$select decrypted_secret from vault.decrypted_secrets where name = 'baton_project_url'$q$ into v_url;
  execute $q$select decrypted_secret from vault.decrypted_secrets where name = 'baton_secret_key'$q$ into v_key;
  if v_url is null or v_key is null then
    return;
  end if;
  execute 'select net.http_post(url := $1, headers := $2, body := $3)'
    using v_url || '/functions/v1/webhook-deliveries',
          jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key), '{}'::jsonb;
exception when others then
  raise warning 'baton: kicking webhook-deliveries failed: %', sqlerrm;
end
$$;
revoke execute on function private.kick_webhook_deliveries() from public, anon, authenticated;

-- The pg_cron job: only when something is due, so an idle project makes no invocations.
create function private.sweep_webhook_deliveries()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if private.webhook_deliveries_due() then
    perform private.kick_webhook_deliveries();
  end if;
end
$$;
revoke execute on function private.sweep_webhook_deliveries() from public, anon, authenticated;

-- ---- The outbox trigger ------------------------------------------------------------------------------

create function private.enqueue_webhook_event()
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
  select t.event_type into v_event from public.webhook_event_types t where t.job_status = new.status;
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
revoke execute on function private.enqueue_webhook_event() from public, anon, authenticated;

create trigger enqueue_webhook_event after insert or update of status on public.export_jobs
  for each row when (new.status is distinct from 'queued')
  execute function private.enqueue_webhook_event();

-- ---- The delivery function's calls (service role only) ----------------------------------------------

-- Claims up to p_limit due deliveries of enabled endpoints. Each claimed delivery's attempt counter goes
-- up and it is not due again until the lease has passed: if the invocation dies, another one retries it.
create function public.claim_webhook_deliveries(p_limit int, p_lease_ms int)
returns table (
  delivery_id uuid,
  attempt int,
  retry_window_from timestamptz,
  message_id text,
  event_type text,
  body text,
  endpoint_id uuid,
  url text,
  secret text
)
language sql
set search_path = ''
as $$
  with due as (
    select d.id
    from public.webhook_deliveries d
    join public.webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= now() and e.enabled
    order by d.next_attempt_at
    limit p_limit
    for update of d skip locked
  )
  update public.webhook_deliveries d
  set attempts = d.attempts + 1,
      last_attempt_at = now(),
      next_attempt_at = now() + p_lease_ms * interval '1 millisecond'
  from due, public.webhook_messages m, public.webhook_endpoints e, public.webhook_endpoint_secrets k
  where d.id = due.id and m.id = d.message_id and e.id = d.endpoint_id and k.endpoint_id = e.id
  returning d.id, d.attempts, d.retry_window_from, m.id, m.event_type, m.body, e.id, e.url, k.secret
$$;

-- Records one attempt. A success ends the delivery and the endpoint's failure streak. A failure makes the
-- delivery due at p_next_attempt_at, or ends it as failed when that is null (past the retry window); when
-- the endpoint has failed for longer than p_disable_after_ms without a success, it is disabled and its
-- admins are notified. An attempt whose lease passed and whose delivery was claimed again is still
-- logged, but only a success changes the delivery then (it did arrive).
create function public.record_webhook_attempt(
  p_delivery_id uuid,
  p_attempt int,
  p_started_at timestamptz,
  p_latency_ms int,
  p_succeeded boolean,
  p_disable_after_ms bigint,
  -- Null when there was none: no answer, no excerpt, no error, no further attempt.
  p_response_status int default null,
  p_response_excerpt text default null,
  p_error text default null,
  p_next_attempt_at timestamptz default null
)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_delivery public.webhook_deliveries;
  v_endpoint public.webhook_endpoints;
begin
  select * into v_delivery from public.webhook_deliveries where id = p_delivery_id for update;
  if not found then
    return; -- the endpoint was deleted meanwhile
  end if;
  insert into public.webhook_attempts (delivery_id, endpoint_id, organisation_id, attempt, started_at,
                                       response_status, latency_ms, response_excerpt, error, succeeded)
  values (p_delivery_id, v_delivery.endpoint_id, v_delivery.organisation_id, p_attempt, p_started_at,
          p_response_status, p_latency_ms, left(p_response_excerpt, 1000), left(p_error, 1000), p_succeeded);

  if p_succeeded then
    update public.webhook_deliveries
    set status = 'succeeded', delivered_at = coalesce(delivered_at, now()), next_attempt_at = null
    where id = p_delivery_id;
    update public.webhook_endpoints
    set failing_since = null, last_success_at = now()
    where id = v_delivery.endpoint_id;
    return;
  end if;

  if v_delivery.status = 'pending' and v_delivery.attempts = p_attempt then
    update public.webhook_deliveries
    set status = case when p_next_attempt_at is null then 'failed' else 'pending' end,
        next_attempt_at = p_next_attempt_at
    where id = p_delivery_id;
  end if;

  update public.webhook_endpoints
  set failing_since = coalesce(failing_since, p_started_at)
  where id = v_delivery.endpoint_id
  returning * into v_endpoint;
  if v_endpoint.enabled and v_endpoint.failing_since <= now() - p_disable_after_ms * interval '1 millisecond' then
    update public.webhook_endpoints
    set enabled = false, disabled_at = now(),
        disabled_reason = format('Every delivery failed since %s.',
                                 to_char(v_endpoint.failing_since at time zone 'utc', 'YYYY-MM-DD HH24:MI "UTC"'))
    where id = v_endpoint.id;
    insert into public.notifications (user_id, organisation_id, webhook_endpoint_id, kind, title, body)
    select m.user_id, v_endpoint.organisation_id, v_endpoint.id, 'webhook_disabled',
           'Webhook endpoint disabled',
           format('%s failed every delivery since %s and receives no more events until an admin enables it again.',
                  left(v_endpoint.url, 200),
                  to_char(v_endpoint.failing_since at time zone 'utc', 'YYYY-MM-DD HH24:MI "UTC"'))
    from public.memberships m
    where m.organisation_id = v_endpoint.organisation_id and m.role = 'admin';
  end if;
end
$$;

revoke execute on function public.claim_webhook_deliveries(int, int) from public, anon, authenticated;
revoke execute on function public.record_webhook_attempt(uuid, int, timestamptz, int, boolean, bigint, int,
  text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.claim_webhook_deliveries(int, int) to service_role;
grant execute on function public.record_webhook_attempt(uuid, int, timestamptz, int, boolean, bigint, int,
  text, text, timestamptz) to service_role;

-- Registers an endpoint with its secret, for an organisation the caller administers. The URL's addresses
-- are checked by the caller's route before (DNS is not reachable from here) and again at every delivery.
create function public.register_webhook_endpoint(
  p_organisation_id uuid,
  p_url text,
  p_events text[],
  p_secret text
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  if not private.is_org_admin(p_organisation_id) then
    raise exception 'Only admins of the organisation can register webhook endpoints.' using errcode = '42501';
  end if;
  insert into public.webhook_endpoints (organisation_id, url, events, created_by)
  values (p_organisation_id, p_url, p_events, (select auth.uid()))
  returning id into v_id;
  insert into public.webhook_endpoint_secrets (endpoint_id, secret) values (v_id, p_secret);
  return v_id;
end
$$;
revoke execute on function public.register_webhook_endpoint(uuid, text, text[], text) from public, anon;
grant execute on function public.register_webhook_endpoint(uuid, text, text[], text) to authenticated, service_role;

-- "Send again" from the dashboard: the same message (same webhook-id) to the same endpoint, now, with a
-- fresh retry window. Admins of the delivery's organisation only.
create function public.resend_webhook_delivery(p_delivery_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_organisation_id uuid;
begin
  select organisation_id into v_organisation_id from public.webhook_deliveries where id = p_delivery_id;
  if v_organisation_id is null or not private.is_org_admin(v_organisation_id) then
    raise exception 'No such webhook delivery in an organisation you administer.' using errcode = 'P0002';
  end if;
  update public.webhook_deliveries
  set status = 'pending', next_attempt_at = now(), retry_window_from = now(), delivered_at = null
  where id = p_delivery_id;
  perform private.kick_webhook_deliveries();
end
$$;
revoke execute on function public.resend_webhook_delivery(uuid) from public, anon;
grant execute on function public.resend_webhook_delivery(uuid) to authenticated, service_role;

-- The dashboard's delivery log of one endpoint: its newest attempts with their message and the
-- delivery's state. As the caller (security invoker): RLS shows admins their organisation's only.
create function public.webhook_delivery_log(p_endpoint_id uuid, p_limit int default 50)
returns table (
  attempt_id bigint,
  delivery_id uuid,
  message_id text,
  event_type text,
  delivery_status text,
  attempt int,
  started_at timestamptz,
  response_status int,
  latency_ms int,
  response_excerpt text,
  error text,
  succeeded boolean
)
language sql
stable
set search_path = ''
as $$
  select a.id, d.id, m.id, m.event_type, d.status, a.attempt, a.started_at, a.response_status, a.latency_ms,
         a.response_excerpt, a.error, a.succeeded
  from public.webhook_attempts a
  join public.webhook_deliveries d on d.id = a.delivery_id
  join public.webhook_messages m on m.id = d.message_id
  where a.endpoint_id = p_endpoint_id
  order by a.id desc
  limit least(greatest(p_limit, 1), 200)
$$;
revoke execute on function public.webhook_delivery_log(uuid, int) from public, anon;
grant execute on function public.webhook_delivery_log(uuid, int) to authenticated, service_role;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('baton-webhook-sweep', '10 seconds', 'select private.sweep_webhook_deliveries()');
  end if;
end
$$;
