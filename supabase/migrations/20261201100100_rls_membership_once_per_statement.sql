-- Row-level security computes the caller's organisations once per statement (issue 11.14).
--
-- Before: `using (private.is_org_member(organisation_id))` called a security-definer function per row;
-- Postgres cannot inline one, so every read scanned whole tables and the organisation indexes
-- (export_jobs_organisation_created_idx, export_sources' unique (organisation_id, collection), the
-- memberships primary key) went unused. Now: `organisation_id = any (array(select
-- private.member_organisations()))` is an uncorrelated sub-select, run once per statement (an InitPlan),
-- and the policy is an indexable `organisation_id = any ($n)` index condition. (`organisation_id in
-- (select …)` also runs once, but as a hashed SubPlan filter, which the planner did not turn into an
-- index condition: checked with EXPLAIN in tests/integration/rls-plans.test.ts.) Same rows as before:
-- the caller's memberships.
--
-- The child tables (shards, shard attempts, invocations, lanes) keep `job_id in (select id from
-- public.export_jobs)`, which is already once per statement and now uses the jobs' organisation index.

create function private.member_organisations()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.organisation_id from public.memberships m where m.user_id = (select auth.uid())
$$;
revoke execute on function private.member_organisations() from public, anon;
grant execute on function private.member_organisations() to authenticated, service_role;

drop policy "Members can see their organisations" on public.organisations;
create policy "Members can see their organisations" on public.organisations
  for select to authenticated using (id = any (array(select private.member_organisations())));

drop policy "Members can see who else is in their organisations" on public.memberships;
create policy "Members can see who else is in their organisations" on public.memberships
  for select to authenticated using (organisation_id = any (array(select private.member_organisations())));

drop policy "Members can see their organisation's sources" on public.export_sources;
create policy "Members can see their organisation's sources" on public.export_sources
  for select to authenticated using (organisation_id = any (array(select private.member_organisations())));

drop policy "Members can see their organisation's export jobs" on public.export_jobs;
create policy "Members can see their organisation's export jobs" on public.export_jobs
  for select to authenticated using (organisation_id = any (array(select private.member_organisations())));
