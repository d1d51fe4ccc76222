import { z } from 'zod';
import type { TypedSupabaseClient } from '@/lib/supabase/typed-client';
import { getExportOrThrow } from './get-export-or-throw';
import { listOrganisationMembers } from './list-organisation-members';
import { listShards, type ShardListing } from './list-shards';
import type { ExportJob, OrganisationMember } from './types';

const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * The query string of GET /api/exports/:id/shards. `verify=1` (or `size`) compares object sizes with the
 * manifest, `verify=checksum` also hashes every object; `since=<cursor>` (the `cursor` of an earlier
 * answer) asks only for what changed after that read — a whole-manifest check does not go with it.
 */
export const manifestReadQuery = z
  .object({
    verify: z
      .enum(['0', '1', 'size', 'checksum'], { error: 'verify must be 0, 1, size or checksum' })
      .default('0')
      .transform((v) => (v === '0' ? null : v === 'checksum' ? 'checksum' : 'size')),
    since: z
      .string()
      .regex(/^(0|[1-9][0-9]{0,18})$/, {
        error: 'since must be the cursor an earlier answer gave (digits)',
        abort: true,
      })
      .refine((v) => BigInt(v) <= BIGINT_MAX, { error: 'since must be the cursor an earlier answer gave' })
      .optional(),
  })
  .refine((q) => !(q.verify && q.since !== undefined), {
    error: 'verify checks the whole manifest: send it without since',
    path: ['since'],
  });

/** The whole manifest of a job the caller may see, with the colleagues its events name. */
export type ExportManifestRead = ShardListing & { job: ExportJob; members: OrganisationMember[] };

/**
 * What changed since `since`: the job row, shards, attempts and invocations written at or after the
 * cursor, failures and events whole, and the next cursor (`listShards`). Colleagues are not re-read:
 * they come with the whole manifest.
 */
export type ExportManifestChangesRead = ShardListing & { job: ExportJob; since: string };

/**
 * The export page's read, through the caller's own client (RLS decides; another organisation's job is a
 * 404): the whole manifest, or — with the cursor of an earlier read — only what changed since.
 */
export async function readExportManifest(client: TypedSupabaseClient, jobId: string): Promise<ExportManifestRead> {
  const job = await getExportOrThrow(client, jobId);
  const [listing, members] = await Promise.all([listShards(client, job.id), listOrganisationMembers(client)]);
  return { job, ...listing, members };
}

export async function readExportManifestChanges(
  client: TypedSupabaseClient,
  jobId: string,
  since: string,
): Promise<ExportManifestChangesRead> {
  const job = await getExportOrThrow(client, jobId);
  return { job, since, ...(await listShards(client, job.id, since)) };
}
