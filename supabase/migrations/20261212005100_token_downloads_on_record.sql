-- A download with an API token is on record as a person's or a share link's is: the download core
-- names the token in the event's detail (`apiTokenId`; a token acts for no person, so `actor` is null),
-- and the organisation's download log says which token ("API token nightly backup (baton_pat_Ab12Cd)").
-- Before this, `record_export_download` refused a download by neither a user nor a link, and a token's
-- downloads were lost from the audit.

create or replace function public.record_export_download(
  p_job_id uuid, p_detail jsonb, p_actor uuid default null, p_share_link_id uuid default null)
returns void
language plpgsql
set search_path = ''
as $$
begin
  if num_nonnulls(p_actor, p_share_link_id, p_detail ->> 'apiTokenId') <> 1 then
    raise exception 'a download is by a user, through a share link or with an API token, exactly one of them';
  end if;
  insert into public.export_events (job_id, run_no, kind, actor, share_link_id, detail)
  select j.id, j.run_no, 'downloaded', p_actor, p_share_link_id, p_detail from public.export_jobs j where j.id = p_job_id;
end
$$;

create or replace function public.organisation_download_log(p_organisation_id uuid)
returns table (
  at timestamptz, export_id uuid, export_name text, downloaded_by text, share_link_id uuid, share_link_note text,
  form text, partial boolean, range_first bigint, range_last bigint, file_bytes bigint, bytes_sent bigint,
  outcome text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.memberships m
                 where m.organisation_id = p_organisation_id and m.user_id = (select auth.uid()) and m.role = 'admin') then
    raise exception 'The download log of an organisation is for its admins. Ask an admin of your organisation.'
      using errcode = '42501';
  end if;
  return query
  select e.at, j.id, j.name,
         case when e.share_link_id is not null then null
              when e.detail ? 'apiTokenId' then coalesce('API token ' || t.name || ' (' || t.prefix || ')', 'a deleted API token')
              else coalesce(u.email::text, 'a former member') end,
         e.share_link_id, l.note,
         coalesce(e.detail ->> 'form', 'plain'), coalesce((e.detail ->> 'partial')::boolean, false),
         (e.detail -> 'range' ->> 0)::bigint, (e.detail -> 'range' ->> 1)::bigint,
         (e.detail ->> 'size')::bigint, (e.detail ->> 'bytes')::bigint,
         coalesce(e.detail ->> 'outcome', 'completed')
  from public.export_events e
  join public.export_jobs j on j.id = e.job_id
  left join auth.users u on u.id = e.actor
  left join public.export_share_links l on l.id = e.share_link_id
  left join public.api_tokens t on t.id = (e.detail ->> 'apiTokenId')::uuid
  where j.organisation_id = p_organisation_id and e.kind = 'downloaded'
  order by e.at, e.id;
end
$$;
