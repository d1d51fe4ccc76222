import 'server-only';
import { cache } from 'react';
import { canOperateExports } from '@/lib/exports/assert-export-operator';
import { createClient } from '@/lib/supabase/server';

/**
 * Whether the signed-in user may operate an organisation's exports, asked of the database once per
 * request and organisation: the layout's start permission and the export page both ask.
 */
export const currentCanOperate = cache(async (organisationId: string): Promise<boolean> =>
  canOperateExports(await createClient(), organisationId),
);
