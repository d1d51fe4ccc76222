import { z } from 'zod';

/** What a token may do: read exports and their events, start/cancel/retry them, download their files. */
export const apiTokenScopes = ['exports:read', 'exports:write', 'downloads'] as const;
export type ApiTokenScope = (typeof apiTokenScopes)[number];
export const apiTokenScope = z.enum(apiTokenScopes);
