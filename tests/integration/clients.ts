import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { testStack } from './stack-info';

/**
 * supabase-js clients for Node tests. Node 20 has no global WebSocket and supabase-js ≥ 2.100
 * throws in createClient() without one (design.md §5), hence the `ws` transport.
 */
export function anonClient(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    db: { retry: false } as never,
  });
}

export function serviceClient(): SupabaseClient {
  const stack = testStack();
  return createClient(stack.apiUrl, stack.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
  });
}
