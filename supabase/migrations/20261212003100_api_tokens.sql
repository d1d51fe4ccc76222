-- Organisation API tokens and what the REST API v1 (/api/v1) keeps in Postgres (issue 25).
--
-- Contract:
-- * A token belongs to one organisation and carries a non-empty subset of the scopes `exports:read`,
--   `exports:write`, `downloads`. Only the sha-256 of the secret is stored (the secret is shown once, by
--   the app, and never reaches the database); `prefix` is its first characters, for people to recognise.
-- * Admins of the organisation create, list and revoke its tokens, through `create_api_token` and
--   `revoke_api_token` (they check the caller's role) and a select policy that shows every column but the
--   hash. Nobody else sees a token, not even that it exists.
-- * `use_api_token` (service role only) is the API's one call per request: it finds the token by hash,
--   refuses a revoked or expired one (a revoke is seen by the next request: no cache), counts the request
--   against the token's per-minute limit (a fixed window held here, so it holds across app instances),
--   and records when the token was last used.
-- * `api_idempotency_keys`: an `Idempotency-Key` of an organisation claims the key with the request's
--   hash before the export is created, so two concurrent requests with one key create one export. Keys
--   older than 24 hours are forgotten.
-- * An export started with a token names the token (`export_jobs.api_token_id`) and no person.

create table public.api_tokens (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  -- `baton_pat_` and the first 6 characters of the random part: enough to tell tokens apart, far too few to guess.
  prefix text not null check (prefix ~ '^baton_pat_[0-9A-Za-z]{6}$'),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  scopes text[] not null check (
    cardinality(scopes) between 1 and 3
    and scopes <@ array['exports:read', 'exports:write', 'downloads']::text[]
  ),
  expires_at timestamptz not null,
  -- Requests a minute before the API answers 429. 120 is far above a pipeline's needs, low enough that a
  -- runaway script cannot crowd out the organisation's people.
  rate_limit_per_minute integer not null default 120 check (rate_limit_per_minute between 1 and 10000),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  check (expires_at > created_at)
);
create index api_tokens_organisation_idx on public.api_tokens (organisation_id, created_at desc);
alter table public.api_tokens enable row level security;

create policy "Admins can see their organisation's API tokens" on public.api_tokens
  for select to authenticated
  using (exists (
    select 1 from public.memberships m
    where m.organisation_id = api_tokens.organisation_id and m.user_id = (select auth.uid()) and m.role = 'admin'
  ));
-- Every column but the hash: a leaked hash cannot be used, but nobody needs to read it either.
grant select (id, organisation_id, name, prefix, scopes, expires_at, rate_limit_per_minute, created_by, created_at,
              last_used_at, revoked_at)
  on public.api_tokens to authenticated;
grant select, insert, update, delete on public.api_tokens to service_role;

-- One fixed one-minute window per token: a row updated in place, so the table stays one row per token.
create table private.api_token_rate_windows (
  token_id uuid primary key references public.api_tokens (id) on delete cascade,
  window_start timestamptz not null,
  requests integer not null
);
grant select, insert, update, delete on private.api_token_rate_windows to service_role;

create table public.api_idempotency_keys (
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  key text not null check (char_length(key) between 1 and 255),
  -- sha-256 of the request's canonical JSON body: the same key with another body is a 409.
  request_hash text not null check (request_hash ~ '^[0-9a-f]{64}$'),
  -- null while the first request with this key is still creating its export.
  job_id uuid references public.export_jobs (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (organisation_id, key)
);
alter table public.api_idempotency_keys enable row level security;
-- No policy: only the API (service role) reads and writes keys.
grant select, insert, update, delete on public.api_idempotency_keys to service_role;

alter table public.export_jobs add column api_token_id uuid references public.api_tokens (id) on delete set null;

-- The app generates the secret and sends only its hash; answers the new token's row (without the hash).
create or replace function public.create_api_token(
  p_organisation_id uuid, p_name text, p_scopes text[], p_expires_at timestamptz, p_prefix text, p_token_hash text
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_token public.api_tokens;
begin
  perform private.require_org_admin(p_organisation_id, 'manage its API tokens');
  if p_expires_at <= now() then
    raise exception 'The expiry must be in the future.' using errcode = 'PT422';
  end if;
  insert into public.api_tokens (organisation_id, name, prefix, token_hash, scopes, expires_at, created_by)
  values (p_organisation_id, p_name, p_prefix, p_token_hash, p_scopes, p_expires_at, (select auth.uid()))
  returning * into v_token;
  return to_jsonb(v_token) - 'token_hash';
end
$$;
revoke execute on function public.create_api_token(uuid, text, text[], timestamptz, text, text) from public, anon;
grant execute on function public.create_api_token(uuid, text, text[], timestamptz, text, text) to authenticated;

-- Revoking twice is not an error: the first revoke's time stays.
create or replace function public.revoke_api_token(p_token_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  select t.organisation_id into v_org from public.api_tokens t where t.id = p_token_id;
  if v_org is null then
    raise exception 'API token % not found', p_token_id using errcode = 'PT404';
  end if;
  perform private.require_org_admin(v_org, 'manage its API tokens');
  update public.api_tokens set revoked_at = coalesce(revoked_at, now()) where id = p_token_id;
end
$$;
revoke execute on function public.revoke_api_token(uuid) from public, anon;
grant execute on function public.revoke_api_token(uuid) to authenticated;

-- outcome: `unknown` | `revoked` | `expired` | `limited` (with retry_after_seconds) | `ok` (with the
-- token's id, organisation, scopes).
create or replace function public.use_api_token(p_token_hash text)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  v_token public.api_tokens;
  v_window timestamptz := date_trunc('minute', now());
  v_requests integer;
begin
  select * into v_token from public.api_tokens where token_hash = p_token_hash;
  if not found then
    return jsonb_build_object('outcome', 'unknown');
  end if;
  if v_token.revoked_at is not null then
    return jsonb_build_object('outcome', 'revoked', 'name', v_token.name, 'at', v_token.revoked_at);
  end if;
  if v_token.expires_at <= now() then
    return jsonb_build_object('outcome', 'expired', 'name', v_token.name, 'at', v_token.expires_at);
  end if;
  insert into private.api_token_rate_windows as w (token_id, window_start, requests)
  values (v_token.id, v_window, 1)
  on conflict (token_id) do update
    set requests = case when w.window_start = excluded.window_start then w.requests + 1 else 1 end,
        window_start = excluded.window_start
  returning requests into v_requests;
  if v_requests > v_token.rate_limit_per_minute then
    return jsonb_build_object(
      'outcome', 'limited',
      'limit', v_token.rate_limit_per_minute,
      'retry_after_seconds', greatest(1, ceil(extract(epoch from v_window + interval '1 minute' - now())))::int
    );
  end if;
  update public.api_tokens set last_used_at = now() where id = v_token.id;
  return jsonb_build_object(
    'outcome', 'ok',
    'token_id', v_token.id,
    'organisation_id', v_token.organisation_id,
    'scopes', to_jsonb(v_token.scopes),
    'limit', v_token.rate_limit_per_minute,
    'remaining', v_token.rate_limit_per_minute - v_requests
  );
end
$$;
revoke execute on function public.use_api_token(text) from public, anon, authenticated;
grant execute on function public.use_api_token(text) to service_role;
