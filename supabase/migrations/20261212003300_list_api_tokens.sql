-- API tokens: admins read their organisations' tokens through `list_api_tokens()` (issue 25).
--
-- Contract: answers every token of every organisation where the caller is an admin, newest first, with
-- every column but `token_hash`; anyone else gets no rows. A function rather than a column-limited
-- select, so the hash stays out of reach however a client phrases its query (`select *` included).

create or replace function public.list_api_tokens()
returns setof jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select to_jsonb(t) - 'token_hash'
  from public.api_tokens t
  where exists (
    select 1 from public.memberships m
    where m.organisation_id = t.organisation_id and m.user_id = (select auth.uid()) and m.role = 'admin'
  )
  order by t.created_at desc
$$;
revoke execute on function public.list_api_tokens() from public, anon;
grant execute on function public.list_api_tokens() to authenticated;
