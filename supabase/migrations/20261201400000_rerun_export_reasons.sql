-- Two changes met here: `rerun_export` (the role-checked way users re-run, 20261201100000) forwarded one
-- joined problem text to `request_export_rerun`, which now takes one reason per shard (20261201200000).
-- The user-facing function follows, so each re-run shard keeps its own reason whoever asks.
drop function public.rerun_export(uuid, int[], text);

create function public.rerun_export(p_job_id uuid, p_shard_nos int[], p_reasons text[])
returns public.export_jobs
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.operable_export_org(p_job_id);
  return public.request_export_rerun(p_job_id, p_shard_nos, p_reasons);
end
$$;

revoke execute on function public.rerun_export(uuid, int[], text[]) from public, anon;
grant execute on function public.rerun_export(uuid, int[], text[]) to authenticated, service_role;
