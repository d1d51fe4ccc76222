-- Schedules the sweep on hosted Supabase: every 30 seconds pg_cron runs `sweep_export_jobs()` and
-- pg_net kicks the export worker for each job it returns. The worker URL and service-role key come from
-- Supabase Vault (secrets `baton_project_url` and `baton_service_role_key`; see README "Deploying").
--
-- The embedded Postgres of the devstack has neither pg_cron nor pg_net: there this migration only
-- defines the kick function, and the devstack runs the same sweep on a timer.

create function private.kick_export_workers()
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_job_id uuid;
  v_kicked int := 0;
begin
  execute $q$select decrypted_secret from vault.decrypted_secrets where name = 'baton_project_url'$q$ into v_url;
  execute $q$select decrypted_secret from vault.decrypted_secrets where name = 'baton_service_role_key'$q$ into v_key;
  if v_url is null or v_key is null then
    raise warning 'baton: vault secrets baton_project_url / baton_service_role_key are not set; sweep skipped';
    return 0;
  end if;
  for v_job_id in select job_id from public.sweep_export_jobs() loop
    execute 'select net.http_post(url := $1, headers := $2, body := $3)'
      using v_url || '/functions/v1/export-worker',
            jsonb_build_object('Content-Type', 'application/json', 'Authorization', 'Bearer ' || v_key),
            jsonb_build_object('jobId', v_job_id);
    v_kicked := v_kicked + 1;
  end loop;
  return v_kicked;
end
$$;
revoke execute on function private.kick_export_workers() from public, anon, authenticated;

do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron')
     and exists (select 1 from pg_available_extensions where name = 'pg_net') then
    create extension if not exists pg_net;
    create extension if not exists pg_cron;
    perform cron.schedule('baton-export-sweep', '30 seconds', 'select private.kick_export_workers()');
  end if;
end
$$;
