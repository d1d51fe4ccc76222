-- A viewer reads and downloads, nothing else: renaming is an operator's action too, checked by the
-- database like cancelling and re-running.
--
-- Before: `PATCH /api/exports/:id` renamed with the secret key after only checking that the caller could
-- see the job, so a viewer could rename any export of their organisation (issue 22, item 6).
--
-- Contract (the whole table of roles × actions is in README.md, "Who may do what"):
-- * Every action that changes an export — start, rename, cancel, re-run, verify storage — needs the
--   role member, support or admin (`private.can_operate_exports`); a viewer sees, downloads and marks
--   their own notifications read. Support and admin may do exactly what a member may: no action needs
--   more than member today.
-- * The order of the checks is one everywhere: can the caller see the job (else PT404, the same answer
--   as a job that does not exist), then may they operate (else 42501), then does the job's state allow
--   the action (PT409 / PT422). A viewer is told about their role, never about the job's state.
-- * Users rename through `rename_export`, as they cancel and re-run through `cancel_export` /
--   `rerun_export`: as themselves, so the activity's "renamed by" is their `auth.uid()`. They still
--   cannot write `export_jobs` directly.
-- * The refusal names every action it covers, renaming included; it stays 42501 (a 403 in the API).

-- Raises 42501 with a message for people unless the user may operate exports of the organisation.
-- Unchanged but for the list of actions in the messages.
create or replace function private.require_export_operator(p_organisation_id uuid, p_user_id uuid)
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
    raise exception 'Your role in this organisation is viewer: you can see and download exports, but starting, renaming, cancelling, re-running and verifying them needs the member role. Ask an admin of your organisation.'
      using errcode = '42501';
  end if;
  raise exception 'Only members of this organisation can start, rename, cancel, re-run or verify its exports.'
    using errcode = '42501';
end
$$;

comment on column public.memberships.role is
  'viewer: sees and downloads exports. member, support, admin (the same rights today): also start, rename, cancel, re-run and verify them.';

-- A user renames an export of their organisation (member role and up): 1–200 characters, trimmed (the
-- API's rule). Renaming to the same name changes nothing (no event, no updated_at). Job row only: the
-- lock order's first step and nothing after it.
create function public.rename_export(p_job_id uuid, p_name text)
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
declare
  -- Trimmed of whitespace at both ends, as zod's trim() does in the API.
  v_name text := regexp_replace(coalesce(p_name, ''), '^\s+|\s+$', '', 'g');
  v_job public.export_jobs;
begin
  perform private.operable_export_org(p_job_id);
  if length(v_name) < 1 then
    raise exception 'Give the export a name (at least one character).' using errcode = 'PT422';
  end if;
  if length(v_name) > 200 then
    raise exception 'A name may be at most 200 characters.' using errcode = 'PT422';
  end if;
  update public.export_jobs set name = v_name where id = p_job_id and name is distinct from v_name;
  select * into v_job from public.export_jobs where id = p_job_id;
  return v_job;
end
$$;

revoke execute on function public.rename_export(uuid, text) from public, anon;
grant execute on function public.rename_export(uuid, text) to authenticated, service_role;
