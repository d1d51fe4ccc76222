import 'server-only';
import { cache } from 'react';
import { readStartPermission, type StartPermission } from '@/lib/exports/start-permission';
import { currentCanOperate } from './current-can-operate';
import { currentMemberships } from './current-memberships';

/**
 * The signed-in user's permission to start exports, read once per request: the dashboard layout (header,
 * command palette) and the page (the list's button, the new-export form) all ask.
 */
export const currentStartPermission = cache(async (userId: string): Promise<StartPermission> =>
  readStartPermission(await currentMemberships(userId), currentCanOperate),
);
