-- Who did it, for the export history (20261201300000). Two branches met here: users now cancel and re-run
-- through their own session (`cancel_export` / `rerun_export`, 20261201100000), so the acting user is the
-- caller's own `auth.uid()`; the `x-baton-actor` header is trusted only from the service role (API routes
-- acting for a user they already authenticated). A header sent with a user's own token is ignored, so
-- nobody can sign an action with someone else's name.
create or replace function private.request_actor()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
declare
  v_actor text;
begin
  if (select auth.role()) is distinct from 'service_role' then
    return (select auth.uid());
  end if;
  v_actor := nullif(current_setting('request.headers', true), '')::jsonb ->> 'x-baton-actor';
  if v_actor ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return v_actor::uuid;
  end if;
  return null;
end
$$;
