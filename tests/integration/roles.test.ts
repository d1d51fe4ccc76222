import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, errorResponse } from '../../lib/api/app-error';
import { downloadExport } from '../../lib/download/download-export';
import { cancelExport } from '../../lib/exports/cancel-export';
import { getExportOrThrow } from '../../lib/exports/get-export-or-throw';
import { listExports } from '../../lib/exports/list-exports';
import { listOrganisationMembers } from '../../lib/exports/list-organisation-members';
import { readExportManifest, readExportManifestChanges } from '../../lib/exports/read-export-manifest';
import { renameExport } from '../../lib/exports/rename-export';
import { retryExport } from '../../lib/exports/retry-export';
import { startExport } from '../../lib/exports/start-export';
import type { ExportJob } from '../../lib/exports/types';
import { verifyExportStorage } from '../../lib/exports/verify-export-storage';
import { countMatching } from '../../lib/sources/count-matching';
import { getSourceOrThrow } from '../../lib/sources/get-source-or-throw';
import { listSources } from '../../lib/sources/list-sources';
import { readSystemHealth } from '../../lib/system/read-system-health';
import { serviceClient, storedSizes, userRealtimeClient } from './clients';
import { createSource, createTenant, seedCollection, superuserPool, appTypesense, waitForJob } from './export-fixtures';
import { testStack } from './stack-info';

/**
 * Roles, decided and enforced the same everywhere (issue 22.6; the table is README.md "Who may do
 * what"): a viewer sees and downloads, nothing else; member, support and admin may also start, rename,
 * cancel, re-run and verify — the three alike. Every action the API offers is walked for every role
 * through the same domain functions the routes call, each user with their own client. A refusal is a
 * 403 with one sentence, comes before any look at the job's state, and changes nothing; a viewer going
 * straight to the database (PostgREST, as supabase-js does) is refused the same.
 */
const ROLES = ['viewer', 'member', 'support', 'admin'] as const;
type Role = (typeof ROLES)[number];
type User = { role: Role; userId: string; client: SupabaseClient; accessToken: string };

const COLLECTION = 'roles_posts';
const FIELDS = ['hs_object_id', 'title'];
/** What every refused action answers a viewer (private.require_export_operator, migration 20261210004100). */
const VIEWER_REFUSAL =
  'Your role in this organisation is viewer: you can see and download exports, but starting, renaming, cancelling, re-running and verifying them needs the member role. Ask an admin of your organisation.';

let db: pg.Pool;
let organisationId: string;
let sourceId: string;
const users = {} as Record<Role, User>;
/** An export that ran to the end: what reads, downloads and verification act on. */
let finished: ExportJob;
const admin = serviceClient();

async function addUser(role: Role): Promise<User> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'correct horse battery';
  const created = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (created.error) throw created.error;
  await db.query('insert into public.memberships (organisation_id, user_id, role) values ($1, $2, $3)', [
    organisationId,
    created.data.user.id,
    role,
  ]);
  const client = createClient(testStack().apiUrl, testStack().publishableKey, {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const signedIn = await client.auth.signInWithPassword({ email, password });
  if (signedIn.error) throw signedIn.error;
  return { role, userId: created.data.user.id, client, accessToken: signedIn.data.session.access_token };
}

/** What the routes give the domain functions (lib/api/server-deps.ts), for one user. */
const deps = (user: User) => ({
  user: { supabase: user.client, userId: user.userId },
  admin,
  typesense: appTypesense(),
  storedSize: storedSizes(),
});

/** A queued job the member started, as the API inserts it; no worker is kicked, so it stays queued. */
async function queuedJob(): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format,
       estimated_rows)
     values ($1, $2, $3, $4, 'hs_object_id', $5, 'csv', 40) returning id`,
    [organisationId, sourceId, users.member.userId, COLLECTION, FIELDS],
  );
  return rows[0]!.id;
}

/** A job cancelled before any shard was written: one a re-run can take up. */
async function cancelledJob(): Promise<string> {
  const jobId = await queuedJob();
  const { error } = await admin.rpc('request_export_cancel', { p_job_id: jobId });
  if (error) throw error;
  return jobId;
}

/**
 * Everything a change to a job could touch: its row, lanes, manifest, events and notifications. Not the
 * download audit's rows: recording a download is the one write a read makes (the download read checks it).
 */
async function jobState(jobId: string): Promise<unknown> {
  const { rows } = await db.query(
    `select (select row_to_json(j) from public.export_jobs j where j.id = $1) as job,
            (select json_agg(l order by l.lane_no) from public.export_lanes l where l.job_id = $1) as lanes,
            (select json_agg(s order by s.shard_no) from public.export_shards s where s.job_id = $1) as shards,
            (select json_agg(a order by a.shard_no, a.attempt) from public.export_shard_attempts a where a.job_id = $1) as attempts,
            (select json_agg(e order by e.id) from public.export_events e where e.job_id = $1 and e.kind <> 'downloaded') as events,
            (select json_agg(n order by n.id) from public.notifications n where n.job_id = $1) as notifications`,
    [jobId],
  );
  return rows[0];
}

/** The organisation's jobs and memberships: what starting an export or a change of role would touch. */
async function organisationState(): Promise<unknown> {
  const { rows } = await db.query(
    `select (select json_agg(j.id order by j.id) from public.export_jobs j where j.organisation_id = $1) as jobs,
            (select json_agg(m order by m.user_id) from public.memberships m where m.organisation_id = $1) as members`,
    [organisationId],
  );
  return rows[0];
}

/** The refusal a viewer gets: an AppError that the API answers 403 with exactly VIEWER_REFUSAL. */
async function expectViewerRefusal(attempt: Promise<unknown>): Promise<void> {
  const error = await attempt.then(
    () => {
      throw new Error('expected a 403 for the viewer, but the action was allowed');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const response = errorResponse(error);
  expect(response.status).toBe(403);
  expect(await response.json()).toEqual({ error: { code: 'forbidden', message: VIEWER_REFUSAL } });
}

/**
 * Waits for a job the action kicked to end. No sweep: it would also start the queued jobs this file
 * keeps as targets, and the job would wait behind them for a lane (the running-lane caps).
 */
const untilEnded = (jobId: string) => waitForJob(jobId, (j) => ['completed', 'failed', 'cancelled'].includes(j.status));

beforeAll(async () => {
  db = superuserPool();
  organisationId = (
    await db.query<{ id: string }>(`insert into public.organisations (name) values ('Roles agency') returning id`)
  ).rows[0]!.id;
  sourceId = await createSource(db, organisationId, COLLECTION, 'portal_id:=1');
  await seedCollection(COLLECTION, 40, { portalId: 1, bodyBytes: 40 });
  for (const role of ROLES) users[role] = await addUser(role);
  finished = await startExport(deps(users.member), { sourceId, format: 'csv', fields: FIELDS });
  finished = await untilEnded(finished.id);
  expect(finished.status).toBe('completed');
});

afterAll(async () => {
  // The queued targets are real jobs: cancelled, so no later file's sweep runs them.
  const { rows } = await db.query<{ id: string }>(
    `select id from public.export_jobs where organisation_id = $1 and status in ('queued', 'running', 'retrying')`,
    [organisationId],
  );
  for (const { id } of rows) {
    const { error } = await admin.rpc('request_export_cancel', { p_job_id: id });
    // PT409: it finished between the read and the cancel (a running one completes by itself).
    if (error && error.code !== 'PT409') throw error;
  }
  await db.end();
});

/** Reading: every role, and nothing changes. */
const reads: Array<{ action: string; run: (user: User) => Promise<void> }> = [
  {
    action: 'list the organisation’s exports',
    run: async (user) => {
      const jobs = await listExports(user.client, { limit: 200 });
      expect(jobs.map((j) => j.id)).toContain(finished.id);
    },
  },
  {
    action: 'see an export',
    run: async (user) => expect((await getExportOrThrow(user.client, finished.id)).status).toBe('completed'),
  },
  {
    action: 'see the shards, attempts, invocations, failures, events and colleagues (the support detail)',
    run: async (user) => {
      const manifest = await readExportManifest(user.client, finished.id);
      expect(manifest.shards.length).toBe(finished.shards_written);
      expect(manifest.invocations.length).toBeGreaterThan(0);
      expect(manifest.events.map((e) => e.kind)).toContain('completed');
      expect(manifest.members.map((m) => m.user_id).sort()).toEqual(ROLES.map((r) => users[r].userId).sort());
    },
  },
  {
    action: 'read what changed since a cursor (the live view)',
    run: async (user) => {
      const changes = await readExportManifestChanges(user.client, finished.id, '0');
      expect(changes.shards.length).toBe(finished.shards_written);
    },
  },
  {
    action: 'download',
    run: async (user) => {
      const response = await downloadExport(
        deps(user),
        finished.id,
        new Request(`http://localhost/api/exports/${finished.id}/download`),
      );
      expect(response.status).toBe(200);
      const body = new Uint8Array(await response.arrayBuffer());
      expect(body.length).toBe(Number(response.headers.get('content-length')));
      expect(new TextDecoder().decode(body.subarray(0, 20))).toBe('hs_object_id,title\r\n');
      // On record, under the user, once the response has ended.
      const { rows } = await db.query<{ actor: string; bytes: number }>(
        `select actor, (detail ->> 'bytes')::int as bytes from public.export_events
         where job_id = $1 and kind = 'downloaded' order by id desc limit 1`,
        [finished.id],
      );
      expect(rows[0]).toEqual({ actor: user.userId, bytes: body.length });
    },
  },
  {
    action: 'list sources, see one and estimate a filter',
    run: async (user) => {
      expect((await listSources(user.client)).map((s) => s.id)).toContain(sourceId);
      const source = await getSourceOrThrow(user.client, sourceId);
      expect(await countMatching(appTypesense(), source, null)).toBe(40);
    },
  },
  {
    action: 'watch live (the job’s topic, the organisation’s list, their own notifications)',
    run: async (user) => {
      const realtime = await userRealtimeClient(user.accessToken);
      try {
        for (const topic of [
          `export:${finished.id}`,
          `org:${organisationId}:exports`,
          `user:${user.userId}:notifications`,
        ]) {
          const channel = realtime.channel(topic, { config: { private: true } });
          await new Promise<void>((resolve, reject) =>
            channel.subscribe((status, error) => {
              if (status === 'SUBSCRIBED') resolve();
              else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(error ?? new Error(status));
            }),
          );
          await realtime.removeChannel(channel);
        }
      } finally {
        await realtime.removeAllChannels();
        await realtime.realtime.disconnect();
      }
    },
  },
  {
    action: 'see colleagues',
    run: async (user) => expect((await listOrganisationMembers(user.client)).length).toBe(ROLES.length),
  },
  {
    action: 'mark their own notifications read',
    run: async (user) => {
      // Of another job: the finished one must stay as it was.
      const { rows } = await db.query<{ id: string }>(
        `insert into public.notifications (user_id, organisation_id, job_id, kind, title, body)
         values ($1, $2, $3, 'export_completed', 'Export completed', 'For the roles test.') returning id`,
        [user.userId, organisationId, await queuedJob()],
      );
      const id = rows[0]!.id;
      const { data, error } = await user.client
        .from('notifications')
        .update({ read_at: new Date().toISOString() })
        .eq('id', id)
        .select('id');
      expect(error).toBeNull();
      expect(data).toEqual([{ id }]);
      const after = await db.query('select read_at is not null as read from public.notifications where id = $1', [id]);
      expect(after.rows[0]).toEqual({ read: true });
    },
  },
];

/**
 * Changing: member, support and admin alike; a viewer gets VIEWER_REFUSAL and the state it acted on is
 * what it was.
 */
type Change = {
  action: string;
  /** The export (or the organisation) acted on, fresh for each role. */
  target: () => Promise<string>;
  state: (target: string) => Promise<unknown>;
  act: (user: User, target: string) => Promise<unknown>;
  /** What an operator's call did. */
  done: (user: User, target: string, result: unknown) => Promise<void>;
};

const changes: Change[] = [
  {
    action: 'start an export',
    target: () => Promise.resolve(organisationId),
    state: () => organisationState(),
    act: (user) => startExport(deps(user), { sourceId, format: 'csv', fields: FIELDS }),
    done: async (user, _target, result) => {
      const job = result as ExportJob;
      expect(job.requested_by).toBe(user.userId);
      expect((await untilEnded(job.id)).status).toBe('completed');
    },
  },
  {
    action: 'rename an export',
    target: queuedJob,
    state: jobState,
    act: (user, jobId) => renameExport(deps(user), jobId, { name: `Renamed by ${user.role}` }),
    done: async (user, jobId, result) => {
      expect((result as ExportJob).name).toBe(`Renamed by ${user.role}`);
      const { rows } = await db.query('select kind, actor from public.export_events where job_id = $1', [jobId]);
      expect(rows).toEqual([{ kind: 'renamed', actor: user.userId }]);
    },
  },
  {
    action: 'cancel an export',
    target: queuedJob,
    state: jobState,
    act: (user, jobId) => cancelExport(deps(user), jobId),
    done: async (user, jobId, result) => {
      expect((result as ExportJob).status).toBe('cancelled');
      const { rows } = await db.query(
        'select kind, actor from public.export_events where job_id = $1 and actor is not null',
        [jobId],
      );
      expect(rows).toEqual([{ kind: 'cancel_requested', actor: user.userId }]);
    },
  },
  {
    action: 'preview a re-run (dry run)',
    target: cancelledJob,
    state: jobState,
    act: (user, jobId) => retryExport(deps(user), jobId, { dryRun: true, verify: 'size' }),
    done: async (_user, _jobId, result) => {
      expect((result as { plan: { tail: boolean } }).plan.tail).toBe(true);
    },
  },
  {
    action: 're-run an export',
    target: cancelledJob,
    state: jobState,
    act: (user, jobId) => retryExport(deps(user), jobId, { verify: 'none' }),
    done: async (user, jobId, result) => {
      expect((result as { job: ExportJob }).job).toMatchObject({ status: 'queued', run_no: 2 });
      const { rows } = await db.query(
        `select actor from public.export_events where job_id = $1 and kind = 'rerun_requested'`,
        [jobId],
      );
      expect(rows).toEqual([{ actor: user.userId }]);
      expect((await untilEnded(jobId)).status).toBe('completed');
    },
  },
  {
    action: 'verify storage (sizes and checksums)',
    target: () => Promise.resolve(finished.id),
    state: jobState,
    act: (user, jobId) => verifyExportStorage(deps(user), jobId, { checksums: true }),
    done: async (_user, _jobId, result) => {
      const { verification } = result as { verification: Array<{ state: string }> };
      expect(verification.map((c) => c.state)).toEqual(Array(finished.shards_written).fill('ok'));
    },
  },
];

describe.each(ROLES)('a %s', (role) => {
  it.each(reads)('may $action', async ({ run }) => {
    const before = await jobState(finished.id);
    await run(users[role]);
    // A read leaves the export as it was.
    expect(await jobState(finished.id)).toEqual(before);
  });

  it.each(changes)(role === 'viewer' ? 'may not $action: 403, nothing changes' : 'may $action', async (change) => {
    const target = await change.target();
    const before = await change.state(target);
    if (role === 'viewer') {
      await expectViewerRefusal(change.act(users.viewer, target));
      expect(await change.state(target)).toEqual(before);
    } else {
      await change.done(users[role], target, await change.act(users[role], target));
    }
  });
});

describe('system health (support and admin only)', () => {
  it.each(ROLES)('a %s', async (role) => {
    const attempt = readSystemHealth(users[role].client);
    if (role === 'support' || role === 'admin') {
      const health = await attempt;
      expect(health.organisations.map((o) => [o.id, o.role])).toEqual([[organisationId, role]]);
    } else {
      const error = await attempt.then(
        () => new Error('expected a 403'),
        (e: unknown) => e,
      );
      expect(errorResponse(error).status).toBe(403);
    }
  });
});

describe('the role is checked before the job’s state', () => {
  it('a viewer cancelling a finished or cancelled export is told about their role (403), not “already …” (409)', async () => {
    const cancelled = await cancelledJob();
    for (const jobId of [finished.id, cancelled]) {
      const before = await jobState(jobId);
      await expectViewerRefusal(cancelExport(deps(users.viewer), jobId));
      expect(await jobState(jobId)).toEqual(before);
    }
    // For an operator the state decides: there is nothing to cancel.
    await expect(cancelExport(deps(users.member), finished.id)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a viewer re-running a queued export gets 403, not “still queued” (409)', async () => {
    const jobId = await queuedJob();
    const before = await jobState(jobId);
    await expectViewerRefusal(retryExport(deps(users.viewer), jobId, { dryRun: true }));
    await expectViewerRefusal(retryExport(deps(users.viewer), jobId, {}));
    expect(await jobState(jobId)).toEqual(before);
    await expect(retryExport(deps(users.member), jobId, { dryRun: true })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('a viewer renaming a finished export gets 403, even to the name it already has', async () => {
    const before = await jobState(finished.id);
    await expectViewerRefusal(renameExport(deps(users.viewer), finished.id, { name: 'Viewer was here' }));
    await expectViewerRefusal(renameExport(deps(users.viewer), finished.id, { name: finished.name }));
    expect(await jobState(finished.id)).toEqual(before);
  });

  it('someone outside the organisation gets 404 for the job, not 403: nothing says it exists', async () => {
    const jobId = await queuedJob();
    const stranger = await createTenant(db, 'Other agency');
    const strangerUser: User = {
      role: 'member',
      userId: stranger.userId,
      client: stranger.client,
      accessToken: stranger.accessToken,
    };
    for (const act of [
      () => cancelExport(deps(strangerUser), jobId),
      () => renameExport(deps(strangerUser), jobId, { name: 'Not mine' }),
      () => retryExport(deps(strangerUser), jobId, {}),
      () => verifyExportStorage(deps(strangerUser), jobId, { checksums: false }),
    ]) {
      await expect(act()).rejects.toMatchObject({ code: 'not_found' });
    }
    for (const [fn, args] of [
      ['cancel_export', { p_job_id: jobId }],
      ['rename_export', { p_job_id: jobId, p_name: 'Not mine' }],
      ['rerun_export', { p_job_id: jobId, p_shard_nos: [], p_reasons: [] }],
    ] as const) {
      const { error } = await stranger.client.rpc(fn, args);
      expect(error).toMatchObject({ code: 'PT404' });
    }
  });
});

describe('a viewer going straight to the database (PostgREST, as supabase-js)', () => {
  it('is refused by every function that changes an export, with the same sentence, whatever the job’s state', async () => {
    const jobs = { queued: await queuedJob(), cancelled: await cancelledJob(), completed: finished.id };
    for (const jobId of Object.values(jobs)) {
      const before = await jobState(jobId);
      for (const [fn, args] of [
        ['cancel_export', { p_job_id: jobId }],
        ['rename_export', { p_job_id: jobId, p_name: 'Viewer was here' }],
        ['rerun_export', { p_job_id: jobId, p_shard_nos: [], p_reasons: [] }],
      ] as const) {
        const { error } = await users.viewer.client.rpc(fn, args);
        expect(error, `${fn} on a ${jobId === finished.id ? 'completed' : 'queued/cancelled'} job`).toMatchObject({
          code: '42501',
          message: VIEWER_REFUSAL,
        });
      }
      expect(await jobState(jobId)).toEqual(before);
    }
  });

  it('may call only the functions in the roles table; every other one is not theirs to call', async () => {
    const { rows } = await db.query<{ name: string; callable: boolean; args: string[] }>(
      `select p.proname as name, has_function_privilege('authenticated', p.oid, 'execute') as callable,
              -- The input arguments' names (a function without arguments has no proargnames).
              array(select a.name from unnest(coalesce(p.proargnames, '{}'), coalesce(p.proargmodes,
                      array_fill('i'::"char", array[coalesce(cardinality(p.proargnames), 0)]))) as a (name, mode)
                    where a.mode in ('i', 'b')) as args
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' order by 1`,
    );
    // Reads, the role check itself, the changes that check the role inside (cancel, rename, re-run, share
    // and revoke a link), and system health, the download log, the admins' retention and approval
    // functions, the API token functions and the webhook calls, which check it too (README, roles).
    expect(rows.filter((r) => r.callable).map((r) => r.name)).toEqual([
      'assert_export_operator',
      'cancel_export',
      'create_api_token',
      'create_export_share_link',
      'decide_export_approval',
      'export_change_horizon',
      'keep_export',
      'list_api_tokens',
      'organisation_download_log',
      'organisation_members',
      'organisation_storage_use',
      'register_webhook_endpoint',
      'rename_export',
      'rerun_export',
      'resend_webhook_delivery',
      'revoke_api_token',
      'revoke_export_share_link',
      'system_health',
      'update_organisation_settings',
      'webhook_delivery_log',
    ]);
    const jobId = await queuedJob();
    const before = await jobState(jobId);
    const internal = rows.filter((r) => !r.callable);
    expect(internal.length).toBeGreaterThan(10);
    for (const { name, args } of internal) {
      const values = Object.fromEntries(args.map((a) => [a, a === 'p_job_id' ? jobId : null]));
      const { error } = await users.viewer.client.rpc(name, values);
      expect(error, name).toMatchObject({
        code: '42501',
        message: expect.stringMatching(/^permission denied/) as string,
      });
    }
    expect(await jobState(jobId)).toEqual(before);
  });

  it('may write no table but their own notifications’ read_at (webhook endpoints: only for admins, by RLS)', async () => {
    const { rows } = await db.query<{ writable: string }>(
      `select c.relname || '.' || a.attname || ' ' || p.privilege as writable
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       cross join (values ('INSERT'), ('UPDATE')) p (privilege)
       where n.nspname = 'public' and c.relkind in ('r', 'p', 'v')
         and has_column_privilege('authenticated', c.oid, a.attnum, p.privilege)
       union all
       select c.relname || ' ' || p.privilege
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       cross join (values ('DELETE'), ('TRUNCATE')) p (privilege)
       where n.nspname = 'public' and c.relkind in ('r', 'p', 'v') and has_table_privilege('authenticated', c.oid, p.privilege)
       order by 1`,
    );
    // Webhook endpoints: granted for admins, whom RLS alone lets through (webhooks.test.ts proves a
    // member and another organisation's admin change nothing).
    expect(rows.map((r) => r.writable)).toEqual([
      'notifications.read_at UPDATE',
      'webhook_endpoints DELETE',
      'webhook_endpoints.disabled_at UPDATE',
      'webhook_endpoints.disabled_reason UPDATE',
      'webhook_endpoints.enabled UPDATE',
      'webhook_endpoints.events UPDATE',
      'webhook_endpoints.failing_since UPDATE',
      'webhook_endpoints.url UPDATE',
    ]);
  });

  it('is refused each table write that would change an export, a role or someone else’s notification', async () => {
    const jobId = await queuedJob();
    const { rows: others } = await db.query<{ id: string }>(
      `insert into public.notifications (user_id, organisation_id, job_id, run_no, kind, title, body)
       values ($1, $2, $3, 1, 'export_completed', 'Export completed', 'The member’s.') returning id`,
      [users.member.userId, organisationId, jobId],
    );
    const theirs = others[0]!.id;
    const before = { job: await jobState(jobId), organisation: await organisationState() };
    const viewer = users.viewer.client;
    const attempts = {
      'insert a job': viewer.from('export_jobs').insert({
        organisation_id: organisationId,
        source_id: sourceId,
        requested_by: users.viewer.userId,
        collection: COLLECTION,
        key_field: 'hs_object_id',
        fields: FIELDS,
        format: 'csv',
      }),
      'rename a job': viewer.from('export_jobs').update({ name: 'Viewer was here' }).eq('id', jobId),
      'cancel a job': viewer
        .from('export_jobs')
        .update({ cancel_requested_at: new Date().toISOString() })
        .eq('id', jobId),
      'delete a job': viewer.from('export_jobs').delete().eq('id', jobId),
      'requeue a lane': viewer.from('export_lanes').update({ status: 'queued' }).eq('job_id', jobId),
      'write an event': viewer.from('export_events').insert({ job_id: jobId, run_no: 1, kind: 'renamed' }),
      'promote themselves': viewer.from('memberships').update({ role: 'admin' }).eq('user_id', users.viewer.userId),
      'join as admin': viewer
        .from('memberships')
        .insert({ organisation_id: organisationId, user_id: users.viewer.userId, role: 'admin' }),
      'add a source': viewer
        .from('export_sources')
        .insert({ organisation_id: organisationId, collection: 'x', label: 'x' }),
      'rewrite a notification': viewer.from('notifications').update({ title: 'Changed' }).eq('id', theirs),
      'delete a notification': viewer.from('notifications').delete().eq('id', theirs),
    };
    for (const [what, attempt] of Object.entries(attempts)) {
      const { error } = await attempt;
      expect(error, what).toMatchObject({ code: '42501' });
    }
    // read_at is writable, but only on one's own notifications: someone else's is not even seen.
    const marked = await viewer
      .from('notifications')
      .update({ read_at: new Date().toISOString() })
      .eq('id', theirs)
      .select();
    expect(marked).toMatchObject({ error: null, data: [] });
    expect({ job: await jobState(jobId), organisation: await organisationState() }).toEqual(before);
  });

  it('cannot have a job started in their name, even through the service role', async () => {
    const before = await organisationState();
    const insert = await admin.from('export_jobs').insert({
      organisation_id: organisationId,
      source_id: sourceId,
      requested_by: users.viewer.userId,
      collection: COLLECTION,
      key_field: 'hs_object_id',
      fields: FIELDS,
      format: 'csv',
    });
    expect(insert.error).toMatchObject({ code: '42501', message: VIEWER_REFUSAL });
    expect(await organisationState()).toEqual(before);
  });
});
