-- Roles mean something (issue 11.6).
--
-- Contract: every member of an organisation sees its exports and downloads them. Starting, cancelling,
-- re-running and verifying (the actions that cost work or change a job) need an operating role:
-- `member`, `support` or `admin`. The new `viewer` role sees and downloads only. The database enforces
-- it, not only the API:
-- * a job can only be inserted with `requested_by` null (service-role tooling) or a user who may operate
--   in that organisation (trigger below) — whatever client inserts it;
-- * users cancel and re-run through `cancel_export` / `rerun_export`, which check the caller's role and
--   then call the state machine (whose functions stay service-role only);
-- * `assert_export_operator` lets the API refuse early, before it spends a Typesense query, with the
--   same check and message.
-- A refusal is SQLSTATE 42501 (insufficient_privilege), which the API answers as 403.

alter table public.memberships drop constraint memberships_role_check;
alter table public.memberships
  add constraint memberships_role_check check (role in ('viewer', 'member', 'support', 'admin'));

comment on column public.memberships.role is
  'viewer: sees and downloads exports. member, support, admin: also start, cancel, re-run and verify them.';

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

revoke execute on function private.can_operate_exports(uuid, uuid) from public, anon, authenticated;
revoke execute on function private.require_export_operator(uuid, uuid) from public, anon, authenticated;
grant execute on function private.can_operate_exports(uuid, uuid) to service_role;
grant execute on function private.require_export_operator(uuid, uuid) to service_role;

-- A job names who started it; that person must be allowed to start exports there.
create function private.check_export_requester()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.requested_by is not null then
    perform private.require_export_operator(new.organisation_id, new.requested_by);
  end if;
  return new;
end
$$;
revoke execute on function private.check_export_requester() from public, anon, authenticated;

create trigger check_export_requester
  before insert on public.export_jobs
  for each row execute function private.check_export_requester();

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

-- The job's organisation when the caller can see the job (else PT404: same answer as a job that does not
-- exist), after checking the caller may operate there.
create function private.operable_export_org(p_job_id uuid)
returns uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  select j.organisation_id into v_org from public.export_jobs j
  where j.id = p_job_id
    and exists (select 1 from public.memberships m where m.organisation_id = j.organisation_id and m.user_id = (select auth.uid()));
  if v_org is null then
    raise exception 'export job % not found', p_job_id using errcode = 'PT404';
  end if;
  perform private.require_export_operator(v_org, (select auth.uid()));
  return v_org;
end
$$;
revoke execute on function private.operable_export_org(uuid) from public, anon, authenticated;

-- A user asks to stop a job of their organisation (member role and up).
create function public.cancel_export(p_job_id uuid)
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.operable_export_org(p_job_id);
  return public.request_export_cancel(p_job_id);
end
$$;

-- A user re-runs shards of a job of their organisation, or its unfinished tail (member role and up).
create function public.rerun_export(p_job_id uuid, p_shard_nos int[], p_problem text)
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.operable_export_org(p_job_id);
  return public.request_export_rerun(p_job_id, p_shard_nos, p_problem);
end
$$;

revoke execute on function public.assert_export_operator(uuid) from public, anon;
revoke execute on function public.cancel_export(uuid) from public, anon;
revoke execute on function public.rerun_export(uuid, int[], text) from public, anon;
grant execute on function public.assert_export_operator(uuid) to authenticated, service_role;
grant execute on function public.cancel_export(uuid) to authenticated, service_role;
grant execute on function public.rerun_export(uuid, int[], text) to authenticated, service_role;
