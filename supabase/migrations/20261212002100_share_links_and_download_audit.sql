-- Share links (one export's file for people without an account) and the download audit (every download
-- from the dashboard or a link, with what was actually sent).
--
-- Contract:
-- * A share link belongs to one export. Its token (≥ 128 random bits, made by the app) is stored only as
--   its sha-256 (lower-case hex): the database never sees the token, and the hash sits in its own table
--   in `private` (`private.export_share_link_tokens`), which only the service role reads. It lives 1 hour to 7 days from creation,
--   offers one to three forms of the file (plain, excel, gzip) and may carry a note for the people who
--   created it.
-- * Who may share: the roles that operate exports (member, support, admin: `private.operable_export_org`).
--   A viewer may download but not share: a link hands the file to people outside the organisation, which
--   is an action on the export, not a read of it. Any operator of the organisation may revoke any of its
--   links (a leaked link must be stoppable by whoever notices, not only by its creator).
-- * A link answers only while it is neither revoked nor past `expires_at` (the database's clock, in
--   `resolve_export_share_link`); whether the export's file can be downloaded is the app's rule
--   (`downloadAvailability`), checked on every request, so a status that serves no file (a later
--   `expired`) stops every link at once.
-- * Requests through a link are limited per link, in a fixed window counted here (`take_share_link_request`)
--   so the limit holds across any number of app instances.
-- * Every download (a GET that sends bytes, whole file or range) is one `downloaded` event on the export's
--   timeline, written when the response ends: by a user (`actor`) or through a link (`share_link_id`),
--   with detail {form, partial, range: [first, last] | null, size (the whole file's), bytes (actually
--   handed to the connection), outcome: 'completed' | 'cut', note (a link's)}. Events before this
--   migration have no range, no size and no outcome: they were whole files, recorded before sending.
-- * `organisation_download_log` is the admins' view of all of it, for the CSV export.

-- ---- Share links ------------------------------------------------------------------------------------

create table public.export_share_links (
  id uuid primary key default gen_random_uuid(),
  job_id uuid not null references public.export_jobs (id) on delete cascade,
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  forms text[] not null check (cardinality(forms) between 1 and 3 and forms <@ array['plain', 'excel', 'gzip']),
  note text check (note is null or char_length(note) between 1 and 500),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  constraint share_link_lives_an_hour_to_a_week
    check (expires_at between created_at + interval '1 hour' and created_at + interval '7 days')
);
create index export_share_links_job_idx on public.export_share_links (job_id, created_at desc);

alter table public.export_share_links enable row level security;

create policy "Members can see share links of jobs they can see" on public.export_share_links
  for select to authenticated using (job_id in (select id from public.export_jobs));

revoke all on public.export_share_links from anon;
revoke insert, update, delete, truncate on public.export_share_links from authenticated;

-- The token's hash, one per link: the lookup's unique index.
create table private.export_share_link_tokens (
  link_id uuid primary key references public.export_share_links (id) on delete cascade,
  token_sha256 text not null unique check (token_sha256 ~ '^[0-9a-f]{64}$')
);
revoke all on private.export_share_link_tokens from public, anon, authenticated;
grant select on private.export_share_link_tokens to service_role;

-- A user shares an export of their organisation (member role and up): the app sends the token's hash,
-- the lifetime in seconds and the forms it has checked against the export's format.
create function public.create_export_share_link(
  p_job_id uuid, p_token_sha256 text, p_lifetime_seconds int, p_forms text[], p_note text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := private.operable_export_org(p_job_id);
  v_id uuid;
begin
  if p_lifetime_seconds is null or p_lifetime_seconds < 3600 or p_lifetime_seconds > 7 * 86400 then
    raise exception 'A share link lives from 1 hour to 7 days.' using errcode = 'PT422';
  end if;
  insert into public.export_share_links (job_id, organisation_id, forms, note, created_by, expires_at)
  values (p_job_id, v_org, p_forms, nullif(p_note, ''), (select auth.uid()),
          now() + make_interval(secs => p_lifetime_seconds))
  returning id into v_id;
  insert into private.export_share_link_tokens (link_id, token_sha256) values (v_id, p_token_sha256);
  return v_id;
end
$$;

-- A user revokes a link of their organisation (member role and up); revoking twice changes nothing.
create function public.revoke_export_share_link(p_link_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_job uuid;
begin
  select l.job_id into v_job from public.export_share_links l where l.id = p_link_id;
  if v_job is null then
    raise exception 'share link % not found', p_link_id using errcode = 'PT404';
  end if;
  perform private.operable_export_org(v_job);
  update public.export_share_links
  set revoked_at = now(), revoked_by = (select auth.uid())
  where id = p_link_id and revoked_at is null;
end
$$;

-- The live link with this token hash, or no row: unknown, revoked and expired all look the same.
create function public.resolve_export_share_link(p_token_sha256 text)
returns table (id uuid, job_id uuid, token_sha256 text, forms text[], note text, expires_at timestamptz)
language sql
stable
set search_path = ''
as $$
  select l.id, l.job_id, t.token_sha256, l.forms, l.note, l.expires_at
  from private.export_share_link_tokens t
  join public.export_share_links l on l.id = t.link_id
  where t.token_sha256 = p_token_sha256 and l.revoked_at is null and l.expires_at > now()
$$;

-- ---- Rate limit per link ----------------------------------------------------------------------------

-- Requests through a link per fixed window. A fixed window lets a client burst twice the limit across a
-- window's edge; for a per-link abuse brake that is enough, and it costs one upsert per request.
create table private.share_link_request_windows (
  link_id uuid not null references public.export_share_links (id) on delete cascade,
  window_start timestamptz not null,
  requests int not null,
  primary key (link_id, window_start)
);

-- Counts one request through the link; returns 0 when it is within the limit, else the seconds until
-- the window ends (Retry-After). Each call drops the link's earlier windows, so the table stays one row
-- a busy link.
create function public.take_share_link_request(p_link_id uuid, p_limit int, p_window_seconds int)
returns int
language plpgsql
set search_path = ''
as $$
declare
  v_window timestamptz := to_timestamp(floor(extract(epoch from now()) / p_window_seconds) * p_window_seconds);
  v_requests int;
begin
  delete from private.share_link_request_windows where link_id = p_link_id and window_start < v_window;
  insert into private.share_link_request_windows as w (link_id, window_start, requests)
  values (p_link_id, v_window, 1)
  on conflict (link_id, window_start) do update set requests = w.requests + 1
  returning w.requests into v_requests;
  if v_requests <= p_limit then
    return 0;
  end if;
  return greatest(1, ceil(extract(epoch from v_window + make_interval(secs => p_window_seconds) - now())))::int;
end
$$;

-- ---- The download audit -----------------------------------------------------------------------------

alter table public.export_events
  add column share_link_id uuid references public.export_share_links (id) on delete cascade;

comment on column public.export_events.detail is
  'rerun_requested: {shard_ranges, tail}; outcomes: {rows, shards, error_kind, error}; renamed: {from, to}; '
  'downloaded: {form, partial, range: [first, last] | null, size, bytes (sent), outcome: completed | cut, note}.';

drop function public.record_export_download(uuid, uuid, jsonb);

-- The download core puts each download on the timeline when its response ends: by a user or through a link.
create function public.record_export_download(
  p_job_id uuid, p_detail jsonb, p_actor uuid default null, p_share_link_id uuid default null)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if num_nonnulls(p_actor, p_share_link_id) <> 1 then
    raise exception 'a download is by a user or through a share link, exactly one of them';
  end if;
  insert into public.export_events (job_id, run_no, kind, actor, share_link_id, detail)
  select j.id, j.run_no, 'downloaded', p_actor, p_share_link_id, p_detail from public.export_jobs j where j.id = p_job_id;
end
$$;

-- Every download of the organisation's exports, oldest first (read in pages while downloads go on, each
-- row comes once: new ones come at the end): for its admins only (42501 for anyone else, the same
-- sentence whether or not the organisation exists).
create function public.organisation_download_log(p_organisation_id uuid)
returns table (
  at timestamptz, export_id uuid, export_name text, downloaded_by text, share_link_id uuid, share_link_note text,
  form text, partial boolean, range_first bigint, range_last bigint, file_bytes bigint, bytes_sent bigint,
  outcome text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.memberships m
                 where m.organisation_id = p_organisation_id and m.user_id = (select auth.uid()) and m.role = 'admin') then
    raise exception 'The download log of an organisation is for its admins. Ask an admin of your organisation.'
      using errcode = '42501';
  end if;
  return query
  select e.at, j.id, j.name,
         case when e.share_link_id is not null then null else coalesce(u.email::text, 'a former member') end,
         e.share_link_id, l.note,
         coalesce(e.detail ->> 'form', 'plain'), coalesce((e.detail ->> 'partial')::boolean, false),
         (e.detail -> 'range' ->> 0)::bigint, (e.detail -> 'range' ->> 1)::bigint,
         (e.detail ->> 'size')::bigint, (e.detail ->> 'bytes')::bigint,
         coalesce(e.detail ->> 'outcome', 'completed')
  from public.export_events e
  join public.export_jobs j on j.id = e.job_id
  left join auth.users u on u.id = e.actor
  left join public.export_share_links l on l.id = e.share_link_id
  where j.organisation_id = p_organisation_id and e.kind = 'downloaded'
  order by e.at, e.id;
end
$$;

-- ---- Privileges -------------------------------------------------------------------------------------

revoke execute on function public.create_export_share_link(uuid, text, int, text[], text) from public, anon;
grant execute on function public.create_export_share_link(uuid, text, int, text[], text) to authenticated, service_role;
revoke execute on function public.revoke_export_share_link(uuid) from public, anon;
grant execute on function public.revoke_export_share_link(uuid) to authenticated, service_role;
revoke execute on function public.organisation_download_log(uuid) from public, anon;
grant execute on function public.organisation_download_log(uuid) to authenticated, service_role;

-- Internal: only the service role (the link's public page and its download route, the download core).
do $$
declare
  v_fn text;
begin
  foreach v_fn in array array[
    'public.resolve_export_share_link(text)',
    'public.take_share_link_request(uuid, int, int)',
    'public.record_export_download(uuid, jsonb, uuid, uuid)'
  ] loop
    execute format('revoke execute on function %s from public, anon, authenticated', v_fn);
    execute format('grant execute on function %s to service_role', v_fn);
  end loop;
end
$$;
revoke all on private.share_link_request_windows from public, anon, authenticated;
grant all on private.share_link_request_windows to service_role;
