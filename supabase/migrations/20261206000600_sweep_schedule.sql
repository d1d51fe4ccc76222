-- The hosted sweep, as a 2026 project runs it: pg_cron every 10 seconds (interval schedules need
-- pg_cron >= 1.5) runs `sweep_export_jobs()`, and pg_net calls the worker once per lane it returns, with
-- the project's secret key from Vault.
--
-- The secret key is not a JWT: it goes in the `apikey` header, which is all the worker accepts (it
-- checks its caller in code, with `verify_jwt = false`). Vault secrets: `baton_project_url` and
-- `baton_secret_key` (README "Deploying"; the key of a project still on legacy keys is its service-role
-- JWT, which the worker accepts in `apikey` too). 10 s keeps a killed invocation's recovery within the
-- design's 20 s (lease + one sweep interval).
--
-- The devstack's embedded Postgres has neither pg_cron nor pg_net: there only the function is defined,
-- and the devstack runs the same sweep on a timer.

create function private.kick_export_workers()
returns int
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
  v_lane record;
  v_kicked int := 0;
begin
  execute $q$select decrypted_secret from vault.decrypted_secrets where name = 'baton_project_url'$q$ into v_url;
  execute $q$select decrypted_secret from vault.decrypted_secrets where name = 'baton_secret_key'$q$ into v_key;
  if v_url is null or v_key is null then
    raise warning 'baton: vault secrets baton_project_url / baton_secret_key are not set; sweep skipped';
    return 0;
  end if;
  -- One call per lane that needs a worker (lanes are independent chains).
  for v_lane in select job_id, lane_no from public.sweep_export_jobs() loop
    execute 'select net.http_post(url := $1, headers := $2, body := $3)'
      using v_url || '/functions/v1/export-worker',
            jsonb_build_object('Content-Type', 'application/json', 'apikey', v_key),
            jsonb_build_object('jobId', v_lane.job_id, 'lane', v_lane.lane_no);
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
    perform cron.schedule('baton-export-sweep', '10 seconds', 'select private.kick_export_workers()');
  end if;
end
$$;
