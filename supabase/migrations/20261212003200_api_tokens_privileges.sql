-- API tokens: people read only what 20261212003100_api_tokens.sql meant them to (issue 25).
--
-- Contract: the default privileges of the public schema had given anon and authenticated every privilege
-- on the new tables, so the column grant that leaves out `token_hash` did not hold: an admin could read
-- the hashes of their organisation's tokens. Taken back here:
-- * `api_tokens`: authenticated may select every column but `token_hash` (the select policy still limits
--   the rows to the organisations they administer); nobody but the service role writes — admins create
--   and revoke through `create_api_token` and `revoke_api_token`.
-- * `api_idempotency_keys`: only the service role (the API) reads or writes.

revoke all on public.api_tokens from anon, authenticated;
grant select (id, organisation_id, name, prefix, scopes, expires_at, rate_limit_per_minute, created_by, created_at,
              last_used_at, revoked_at)
  on public.api_tokens to authenticated;

revoke all on public.api_idempotency_keys from anon, authenticated;
