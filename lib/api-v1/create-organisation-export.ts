import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { AppError } from '@/lib/api/app-error';
import { createExportJob, type startExportInput } from '@/lib/exports/start-export';
import type { ExportJob } from '@/lib/exports/types';
import type { ExportSource } from '@/lib/sources/types';
import type { TypesenseAccess } from '@/lib/typesense/client';
import type { ApiCaller } from './authenticate-api-token';

type CreateInput = z.output<typeof startExportInput>;

/** How long a key is remembered: a client retrying a lost response does so within minutes, not days. */
const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

async function getOrganisationSourceOrThrow(caller: ApiCaller, sourceId: string): Promise<ExportSource> {
  const { data, error } = await caller.admin
    .from('export_sources')
    .select('id, organisation_id, collection, label, key_field, mandatory_filter')
    .eq('id', sourceId)
    .eq('organisation_id', caller.organisationId)
    .maybeSingle<ExportSource>();
  if (error) throw new Error(`Reading source ${sourceId} failed: ${error.message}`);
  if (!data) throw new AppError('not_found', `Source ${sourceId} was not found in this token's organisation.`);
  return data;
}

async function createForToken(caller: ApiCaller, typesense: TypesenseAccess, input: CreateInput): Promise<ExportJob> {
  const source = await getOrganisationSourceOrThrow(caller, input.sourceId);
  return createExportJob({ admin: caller.admin, typesense }, source, input, { api_token_id: caller.tokenId });
}

/** The validated body with its keys sorted: two bodies that mean the same request hash the same. */
function requestHash(input: CreateInput): string {
  const canonical = JSON.stringify(input, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

export type CreatedExport = { job: ExportJob; replayed: boolean };

/**
 * Starts an export for the token's organisation. With an Idempotency-Key, the key is claimed (with the
 * body's hash) before the export is created, so a retried or doubled request creates one export: the same
 * key and body answer that export again, another body is a 409, and so is a key whose first request is
 * still running. A failed creation releases the key, so the client can simply retry.
 */
export async function createOrganisationExport(
  caller: ApiCaller,
  typesense: TypesenseAccess,
  input: CreateInput,
  idempotencyKey: string | undefined,
): Promise<CreatedExport> {
  if (idempotencyKey === undefined) return { job: await createForToken(caller, typesense, input), replayed: false };

  const keys = caller.admin.from('api_idempotency_keys');
  const hash = requestHash(input);
  const match = { organisation_id: caller.organisationId, key: idempotencyKey };
  await keys
    .delete()
    .match(match)
    .lt('created_at', new Date(Date.now() - KEY_LIFETIME_MS).toISOString());
  const claim = await keys.insert({ ...match, request_hash: hash });
  if (claim.error?.code === '23505') return replay(caller, match, hash);
  if (claim.error) throw new Error(`Claiming the idempotency key failed: ${claim.error.message}`);

  let job: ExportJob;
  try {
    job = await createForToken(caller, typesense, input);
  } catch (error) {
    await keys.delete().match(match);
    throw error;
  }
  const { error } = await keys.update({ job_id: job.id }).match(match);
  if (error) throw new Error(`Recording the idempotency key failed: ${error.message}`);
  return { job, replayed: false };
}

async function replay(
  caller: ApiCaller,
  match: { organisation_id: string; key: string },
  hash: string,
): Promise<CreatedExport> {
  const { data, error } = await caller.admin
    .from('api_idempotency_keys')
    .select('request_hash, job_id')
    .match(match)
    .single();
  if (error) throw new Error(`Reading the idempotency key failed: ${error.message}`);
  if (data.request_hash !== hash) {
    throw new AppError(
      'conflict',
      'This Idempotency-Key was already used with a different request body. Use a new key for a new export, ' +
        'or send exactly the first body again to get the export it created.',
    );
  }
  if (data.job_id === null) {
    throw new AppError(
      'conflict',
      'The first request with this Idempotency-Key is still creating its export. Send this request again in a few seconds.',
    );
  }
  const { data: job, error: jobError } = await caller.admin
    .from('export_jobs')
    .select('*')
    .eq('id', data.job_id)
    .eq('organisation_id', caller.organisationId)
    .single<ExportJob>();
  if (jobError) throw new Error(`Reading the export of an idempotency key failed: ${jobError.message}`);
  return { job, replayed: true };
}
