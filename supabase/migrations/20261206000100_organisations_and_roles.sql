-- Organisations, who belongs to them and in which role, and which Typesense collections each may export.
--
-- Contract:
-- * Every export-related row carries (or reaches through its job) an organisation id, and a user sees a
--   row only if they are a member of that organisation (design.md invariant 8).
-- * Row-level security computes the caller's organisations once per statement: `organisation_id = any
--   (array(select private.member_organisations()))` is an uncorrelated sub-select, run once per statement
--   (an InitPlan), so the policy is an indexable `organisation_id = any ($n)` index condition and the
--   organisation indexes (export_jobs_organisation_created_idx, export_sources' unique (organisation_id,
--   collection), the memberships primary key) serve it. A security-definer function called per row cannot
--   be inlined, so every read would scan whole tables; `organisation_id in (select …)` also runs once, but
--   as a hashed SubPlan filter, which the planner does not turn into an index condition (checked with
--   EXPLAIN in tests/integration/rls-plans.test.ts). Tables that hang off a job use `job_id in (select id
--   from public.export_jobs)`, which is once per statement too and uses the jobs' organisation index.
-- * Roles: every member of an organisation sees its exports and downloads them. Starting, cancelling,
--   re-running and verifying (the actions that cost work or change a job) need an operating role:
--   `member`, `support` or `admin`; a `viewer` sees and downloads only. The database enforces it, not only
--   the API:
--   - a job can only be inserted with `requested_by` null (service-role tooling) or a user who may operate
--     in that organisation (the `check_export_requester` trigger) — whatever client inserts it;
--   - users cancel and re-run through `cancel_export` / `rerun_export`, which check the caller's role and
--     then call the state machine (whose functions stay service-role only);
--   - `assert_export_operator` lets the API refuse early, before it spends a Typesense query, with the
--     same check and message.
--   A refusal is SQLSTATE 42501 (insufficient_privilege), which the API answers as 403.
-- * Organisations, memberships and sources are managed with the service role; users only read them.

create schema if not exists private;
grant usage on schema private to authenticated, service_role;

create table public.organisations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table public.memberships (
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('viewer', 'member', 'support', 'admin')),
  created_at timestamptz not null default now(),
  primary key (organisation_id, user_id)
);
create index memberships_user_id_idx on public.memberships (user_id);

comment on column public.memberships.role is
  'viewer: sees and downloads exports. member, support, admin: also start, cancel, re-run and verify them.';

-- A source is a collection an organisation may export. `key_field` must be a unique, sortable
-- numeric field (keyset pagination pages on it); `mandatory_filter` (e.g. `portal_id:=123`) is ANDed
-- with every user filter so one organisation can never read another portal's records.
create table public.export_sources (
  id uuid primary key default gen_random_uuid(),
  organisation_id uuid not null references public.organisations (id) on delete cascade,
  collection text not null check (collection ~ '^[A-Za-z0-9_\-]{1,128}$'),
  label text not null,
  key_field text not null default 'hs_object_id' check (key_field ~ '^[A-Za-z_][A-Za-z0-9_]{0,63}$'),
  mandatory_filter text check (mandatory_filter is null or length(mandatory_filter) <= 1000),
  created_at timestamptz not null default now(),
  unique (organisation_id, collection)
);

-- ---- Membership -------------------------------------------------------------------------------------

-- The caller's organisations, for the policies (once per statement: see the contract). Security definer,
-- so it reads memberships past their own policy, which calls it.
create function private.member_organisations()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.organisation_id from public.memberships m where m.user_id = (select auth.uid())
$$;

-- Whether the caller is a member of the organisation. Nothing in the schema calls it: the policies use
-- member_organisations(), as a per-row call cannot be inlined (see the contract).
create function private.is_org_member(p_organisation_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.organisation_id = p_organisation_id and m.user_id = (select auth.uid())
  )
$$;

-- Members of the caller's organisations with their email, so the dashboard can say who started,
-- cancelled or re-ran an export. Users cannot read auth.users; this shows only their colleagues.
create function public.organisation_members()
returns table (user_id uuid, email text)
language sql
stable
security definer
set search_path = ''
as $$
  select distinct u.id, u.email
  from public.memberships mine
  join public.memberships theirs on theirs.organisation_id = mine.organisation_id
  join auth.users u on u.id = theirs.user_id
  where mine.user_id = (select auth.uid())
$$;

-- ---- Roles ------------------------------------------------------------------------------------------

-- Whether a user may start, cancel, re-run and verify exports of an organisation.
create function private.can_operate_exports(p_organisation_id uuid, p_user_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.organisation_id = p_organisation_id and m.user_id = p_user_id
      and m.role in ('member', 'support', 'admin')
  )
$$;

-- Raises 42501 with a message for people unless the user may operate exports of the organisation.
create function private.require_export_operator(p_organisation_id uuid, p_user_id uuid)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if private.can_operate_exports(p_organisation_id, p_user_id) then
    return;
  end if;
  select m.role into v_role from public.memberships m
  where m.organisation_id = p_organisation_id and m.user_id = p_user_id;
  if v_role = 'viewer' then
    raise exception 'Your role in this organisation is viewer: you can see and download exports, but starting, cancelling, re-running and verifying them needs the member role. Ask an admin of your organisation.'
      using errcode = '42501';
  end if;
  raise exception 'Only members of this organisation can start, cancel, re-run or verify its exports.'
    using errcode = '42501';
end
$$;

-- The caller (a signed-in user) may operate exports of the organisation; else 42501.
create function public.assert_export_operator(p_organisation_id uuid)
returns void
language sql
stable
security definer
set search_path = ''
as $$
  select private.require_export_operator(p_organisation_id, (select auth.uid()))
$$;

-- ---- RLS and privileges -----------------------------------------------------------------------------

alter table public.organisations enable row level security;
alter table public.memberships enable row level security;
alter table public.export_sources enable row level security;

create policy "Members can see their organisations" on public.organisations
  for select to authenticated using (id = any (array(select private.member_organisations())));

create policy "Members can see who else is in their organisations" on public.memberships
  for select to authenticated using (organisation_id = any (array(select private.member_organisations())));

create policy "Members can see their organisation's sources" on public.export_sources
  for select to authenticated using (organisation_id = any (array(select private.member_organisations())));

-- Reads only for users; organisations, memberships and sources are managed with the service role.
revoke all on public.organisations, public.memberships, public.export_sources from anon;
revoke insert, update, delete, truncate on public.organisations, public.memberships, public.export_sources from authenticated;

-- Signed-in users call these; anon does not.
revoke execute on function private.member_organisations() from public, anon;
revoke execute on function private.is_org_member(uuid) from public, anon;
revoke execute on function public.organisation_members() from public, anon;
revoke execute on function public.assert_export_operator(uuid) from public, anon;
grant execute on function private.member_organisations() to authenticated, service_role;
grant execute on function private.is_org_member(uuid) to authenticated, service_role;
grant execute on function public.organisation_members() to authenticated, service_role;
grant execute on function public.assert_export_operator(uuid) to authenticated, service_role;

-- Internal: only the service role (and the functions above, as their owner) calls these.
revoke execute on function private.can_operate_exports(uuid, uuid) from public, anon, authenticated;
revoke execute on function private.require_export_operator(uuid, uuid) from public, anon, authenticated;
grant execute on function private.can_operate_exports(uuid, uuid) to service_role;
grant execute on function private.require_export_operator(uuid, uuid) to service_role;
