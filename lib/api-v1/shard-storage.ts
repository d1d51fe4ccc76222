import { publicEnv } from '@/lib/env/public';
import { serverEnv } from '@/lib/env/server';
import type { ShardStorage } from '@/lib/exports/verify-shards';
import { storedObjectSize } from '@/lib/storage/stored-object-size';
import type { ApiCaller } from './authenticate-api-token';

/** What verifying shards needs (retry's plan), as the dashboard routes build it (lib/api/server-deps.ts). */
export function shardStorage(caller: ApiCaller): ShardStorage {
  return {
    admin: caller.admin,
    storedSize: storedObjectSize({
      url: publicEnv.NEXT_PUBLIC_SUPABASE_URL,
      secretKey: serverEnv().SUPABASE_SECRET_KEY,
    }),
  };
}
