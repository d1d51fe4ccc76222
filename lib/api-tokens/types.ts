import type { ApiTokenScope } from '@/lib/api-v1/api-token-scopes';

/** An API token as admins see it: everything but its hash (which they cannot read either). */
export type ApiTokenRow = {
  id: string;
  organisation_id: string;
  name: string;
  prefix: string;
  scopes: ApiTokenScope[];
  expires_at: string;
  rate_limit_per_minute: number;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
