-- The private bucket that holds every shard object. Only the service role reads or writes it (the
-- worker writes shards; the download route streams them after authorising the user), so it needs no
-- storage RLS policies: with none, signed-in users and anon can do nothing with it.
insert into storage.buckets (id, name, public)
values ('exports', 'exports', false)
on conflict (id) do nothing;
