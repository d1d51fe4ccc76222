import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '@/supabase/functions/_shared/database.types.ts';

/**
 * A supabase-js client typed by the generated `Database`: tables, columns and RPC arguments and results
 * are checked against the migrations. Every client the app creates is one of these.
 */
export type TypedSupabaseClient = SupabaseClient<Database>;
