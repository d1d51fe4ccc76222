-- Organisations, who belongs to them, and which Typesense collections each may export.
--
-- Contract: every export-related row carries (or reaches through its job) an organisation id, and a
-- user sees a row only if they are a member of that organisation (design.md invariant 8). Membership
-- is checked by `private.is_org_member`, a security-definer helper so policies on other tables can call
-- it without granting users read access to every membership row.

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
  role text not null default 'member' check (role in ('member', 'support', 'admin')),
  created_at timestamptz not null default now(),
  primary key (organisation_id, user_id)
);
create index memberships_user_id_idx on public.memberships (user_id);

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
revoke execute on function private.is_org_member(uuid) from public, anon;
grant execute on function private.is_org_member(uuid) to authenticated, service_role;

alter table public.organisations enable row level security;
alter table public.memberships enable row level security;
alter table public.export_sources enable row level security;

create policy "Members can see their organisations" on public.organisations
  for select to authenticated using (private.is_org_member(id));

create policy "Members can see who else is in their organisations" on public.memberships
  for select to authenticated using (private.is_org_member(organisation_id));

create policy "Members can see their organisation's sources" on public.export_sources
  for select to authenticated using (private.is_org_member(organisation_id));

-- Reads only for users; organisations, memberships and sources are managed with the service role.
revoke all on public.organisations, public.memberships, public.export_sources from anon;
revoke insert, update, delete, truncate on public.organisations, public.memberships, public.export_sources from authenticated;
