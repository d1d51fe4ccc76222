import { Webhook } from 'standardwebhooks';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/api/app-error';
import { registerWebhookEndpoint } from '../../lib/webhooks/register-webhook-endpoint';
import { setWebhookEndpointEnabled } from '../../lib/webhooks/set-webhook-endpoint-enabled';
import { createTenant, superuserPool, type Tenant } from './export-fixtures';
import {
  deliveryStatuses,
  insertEndpoint,
  insertJobs,
  kickUntil,
  setStatus,
  startReceiver,
  type Receiver,
  type ReceiverAnswer,
} from './webhook-fixtures';

/**
 * Webhooks end to end on the devstack: the outbox trigger, the webhook-deliveries function on the hosted
 * Deno level, and a receiver on this machine. The suite's global setup shrinks the backoff (50 ms first
 * delay) and the attempt timeout (500 ms); production values are unit-tested in retry-schedule.test.ts.
 */
let db: pg.Pool;
let admin: Tenant;
let member: Tenant;
let otherAdmin: Tenant;
const receivers: Receiver[] = [];

async function receiver(answer?: (request: number) => ReceiverAnswer): Promise<Receiver> {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
}

beforeAll(async () => {
  db = superuserPool();
  admin = await createTenant(db, 'Hooks Agency');
  await db.query(`update public.memberships set role = 'admin' where user_id = $1`, [admin.userId]);
  member = await createTenant(db, 'Hooks Member Home');
  await db.query(`insert into public.memberships (organisation_id, user_id, role) values ($1, $2, 'member')`, [
    admin.organisationId,
    member.userId,
  ]);
  otherAdmin = await createTenant(db, 'Other Hooks Agency');
  await db.query(`update public.memberships set role = 'admin' where user_id = $1`, [otherAdmin.userId]);
});

// Each test's endpoints go with it: later tests' events must not queue deliveries to them.
afterEach(async () => {
  await db.query('delete from public.webhook_endpoints where organisation_id = any ($1::uuid[])', [
    [admin.organisationId, otherAdmin.organisationId],
  ]);
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await db.end();
});

describe('webhook deliveries', () => {
  it('sends export.started and export.completed, signed so the standardwebhooks library verifies them', async () => {
    const hooks = await receiver();
    const endpoint = await insertEndpoint(db, admin, hooks.url);
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'running');
    await setStatus(db, [jobId!], 'completed');
    await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 2);

    const verifier = new Webhook(endpoint.secret);
    // One per message (a sender that timed out on a slow answer sends it again: at least once).
    const unique = [...new Map(hooks.received.map((r) => [r.headers['webhook-id'], r])).values()];
    const events = unique.map((r) => verifier.verify(r.body, r.headers as Record<string, string>)) as Array<{
      type: string;
      data: { id: string; status: string };
    }>;
    expect(events.map((e) => [e.type, e.data.id, e.data.status]).sort()).toEqual([
      ['export.completed', jobId, 'completed'],
      ['export.started', jobId, 'running'],
    ]);
    const { rows } = await db.query<{ id: string }>('select id from public.webhook_messages where job_id = $1', [
      jobId,
    ]);
    expect(unique.map((r) => r.headers['webhook-id']).sort()).toEqual(rows.map((r) => r.id).sort());
    // A different secret does not verify: the signature is over this endpoint's secret.
    const stranger = new Webhook((await insertEndpoint(db, otherAdmin, hooks.url)).secret);
    expect(() =>
      stranger.verify(hooks.received[0]!.body, hooks.received[0]!.headers as Record<string, string>),
    ).toThrow();
  });

  it('emits each event once per run, even when a run is running again after a retry', async () => {
    const hooks = await receiver();
    const endpoint = await insertEndpoint(db, admin, hooks.url, ['export.started']);
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'running');
    await setStatus(db, [jobId!], 'retrying');
    await setStatus(db, [jobId!], 'running');
    await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 1);
    const { rows } = await db.query('select event_type from public.webhook_messages where job_id = $1', [jobId]);
    expect(rows).toEqual([{ event_type: 'export.started' }]);
  });

  it('with 10 % of requests answered 500 or left hanging, every event arrives, retried under the same webhook-id', async () => {
    // Every 10th request fails: alternately a 500 and no answer at all (the 500 ms timeout ends it).
    const hooks = await receiver((n) => (n % 10 === 3 ? (n % 20 === 3 ? 'error' : 'hang') : 'ok'));
    const endpoint = await insertEndpoint(db, admin, hooks.url);
    const jobIds = await insertJobs(db, admin, 60);
    await setStatus(db, jobIds, 'running');
    await setStatus(db, jobIds.slice(0, 40), 'completed');
    await setStatus(db, jobIds.slice(40), 'failed');
    await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 120);

    const { rows: messages } = await db.query<{ id: string; body: string }>(
      'select id, body from public.webhook_messages where job_id = any ($1::uuid[])',
      [jobIds],
    );
    expect(messages).toHaveLength(120);
    const verifier = new Webhook(endpoint.secret);
    const answeredOk = new Set(hooks.received.filter((r) => r.answered === 'ok').map((r) => r.headers['webhook-id']));
    for (const message of messages) expect(answeredOk.has(message.id)).toBe(true);
    // Each retry carried the id and the exact body of its message, and verifies.
    const bodyById = new Map(messages.map((m) => [m.id, m.body]));
    for (const request of hooks.received) {
      expect(request.body).toBe(bodyById.get(request.headers['webhook-id'] as string));
      expect(() => verifier.verify(request.body, request.headers as Record<string, string>)).not.toThrow();
    }
    const failed = hooks.received.filter((r) => r.answered !== 'ok');
    expect(failed.length).toBeGreaterThanOrEqual(12);
    // Every failed request's message came again, under the same id, until it was answered.
    for (const request of failed) expect(answeredOk.has(request.headers['webhook-id'])).toBe(true);
    // The log has every attempt: a success for each delivery, a failure at least for each faulty answer
    // (on a loaded machine a slow answer may also time out on the sender's side: one more failure).
    const { rows: attempts } = await db.query<{
      delivery_id: string;
      succeeded: boolean;
      error: string | null;
    }>('select delivery_id, succeeded, error from public.webhook_attempts where endpoint_id = $1', [endpoint.id]);
    expect(new Set(attempts.filter((a) => a.succeeded).map((a) => a.delivery_id)).size).toBe(120);
    expect(attempts.filter((a) => !a.succeeded).length).toBeGreaterThanOrEqual(failed.length);
    expect(attempts.some((a) => a.error?.startsWith('No answer within'))).toBe(true);
  });

  it('does not send to a private or metadata address at delivery, whatever was registered', async () => {
    const endpoint = await insertEndpoint(db, admin, 'http://[::ffff:169.254.169.254]/latest/meta-data');
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'running');
    await kickUntil(async () => {
      const { rows } = await db.query('select 1 from public.webhook_attempts where endpoint_id = $1', [endpoint.id]);
      return rows.length > 0;
    });
    const { rows } = await db.query<{ response_status: number | null; error: string }>(
      'select response_status, error from public.webhook_attempts where endpoint_id = $1',
      [endpoint.id],
    );
    expect(rows[0]).toMatchObject({ response_status: null, error: expect.stringContaining('not a public address') });
  });

  it('disables an endpoint that has failed for 3 days and notifies its organisation admins only', async () => {
    const hooks = await receiver(() => 'error');
    const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3_600_000 - 60_000).toISOString();
    const dying = await insertEndpoint(db, admin, hooks.url, ['export.started'], { failingSince: threeDaysAgo });
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3_600_000).toISOString();
    const ailing = await insertEndpoint(db, admin, `${hooks.url}?ailing`, ['export.started'], {
      failingSince: twoDaysAgo,
    });
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'running');
    const attemptsOf = async (id: string) =>
      (await db.query('select 1 from public.webhook_attempts where endpoint_id = $1', [id])).rows.length;
    await kickUntil(async () => (await attemptsOf(dying.id)) > 0 && (await attemptsOf(ailing.id)) > 0);

    const { rows } = await db.query<{ id: string; enabled: boolean }>(
      'select id, enabled from public.webhook_endpoints where id = any ($1::uuid[])',
      [[dying.id, ailing.id]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.enabled]))).toEqual({ [dying.id]: false, [ailing.id]: true });
    const { rows: notes } = await db.query<{ user_id: string; kind: string }>(
      'select user_id, kind from public.notifications where webhook_endpoint_id = $1',
      [dying.id],
    );
    expect(notes).toEqual([{ user_id: admin.userId, kind: 'webhook_disabled' }]);
    // A disabled endpoint is not claimed again: its pending delivery waits.
    const before = hooks.received.length;
    await db.query(`update public.webhook_deliveries set next_attempt_at = now() where endpoint_id = $1`, [dying.id]);
    const { data } = await (await import('./clients')).serviceClient().rpc('claim_webhook_deliveries', {
      p_limit: 100,
      p_lease_ms: 1000,
    });
    expect((data as Array<{ endpoint_id: string }>).some((d) => d.endpoint_id === dying.id)).toBe(false);
    expect(hooks.received.length).toBe(before);
  });
});

describe('retention and webhooks', () => {
  it('sends export.expired once when an export’s files are removed; the export keeps its status', async () => {
    const hooks = await receiver();
    const endpoint = await insertEndpoint(db, admin, hooks.url, ['export.expired']);
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'completed');
    // What end_export_expiry does once every object is gone (retention.test.ts drives the whole sweep).
    await db.query('update public.export_jobs set expires_at = now(), expired_at = now() where id = $1', [jobId]);
    await db.query('update public.export_jobs set expired_at = expired_at where id = $1', [jobId]);
    await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 1);

    const verifier = new Webhook(endpoint.secret);
    const unique = [...new Map(hooks.received.map((r) => [r.headers['webhook-id'], r])).values()];
    const events = unique.map((r) => verifier.verify(r.body, r.headers as Record<string, string>)) as Array<{
      type: string;
      data: { id: string; status: string; expired_at: string | null };
    }>;
    expect(events.map((e) => [e.type, e.data.id, e.data.status])).toEqual([['export.expired', jobId, 'completed']]);
    expect(events[0]!.data.expired_at).not.toBeNull();
  });
});

describe('who sees and changes webhooks', () => {
  it('admins only, in their organisation; nobody reads a secret back; "send again" keeps the webhook-id', async () => {
    const hooks = await receiver();
    const endpoint = await insertEndpoint(db, admin, hooks.url, ['export.cancelled']);
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'cancelled');
    await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 1);

    const columns = 'id, url, events, enabled';
    expect((await admin.client.from('webhook_endpoints').select(columns).eq('id', endpoint.id)).data).toHaveLength(1);
    expect((await admin.client.from('webhook_attempts').select('id').eq('endpoint_id', endpoint.id)).data).toHaveLength(
      1,
    );
    for (const outsider of [member, otherAdmin]) {
      expect((await outsider.client.from('webhook_endpoints').select(columns).eq('id', endpoint.id)).data).toEqual([]);
      expect(
        (await outsider.client.from('webhook_deliveries').select('id').eq('endpoint_id', endpoint.id)).data,
      ).toEqual([]);
      expect((await outsider.client.from('webhook_attempts').select('id').eq('endpoint_id', endpoint.id)).data).toEqual(
        [],
      );
      const register = await outsider.client.rpc('register_webhook_endpoint', {
        p_organisation_id: admin.organisationId,
        p_url: 'https://example.com/hook',
        p_events: ['export.completed'],
        p_secret: 'whsec_' + 'A'.repeat(32),
      });
      expect(register.error?.code).toBe('42501');
      const direct = await outsider.client.from('webhook_endpoints').insert({
        organisation_id: admin.organisationId,
        url: 'https://example.com/hook',
        events: ['export.completed'],
      });
      expect(direct.error?.code).toBe('42501');
      // Updates and deletes reach no row of another's organisation, or of one they do not administer.
      await outsider.client.from('webhook_endpoints').update({ enabled: false }).eq('id', endpoint.id);
      await outsider.client.from('webhook_endpoints').delete().eq('id', endpoint.id);
      const { rows: still } = await db.query('select enabled from public.webhook_endpoints where id = $1', [
        endpoint.id,
      ]);
      expect(still).toEqual([{ enabled: true }]);
    }
    const secretRead = await admin.client
      .from('webhook_endpoint_secrets')
      .select('secret')
      .eq('endpoint_id', endpoint.id);
    expect(secretRead.error?.code).toBe('42501');

    const { rows } = await db.query<{ id: string }>('select id from public.webhook_deliveries where endpoint_id = $1', [
      endpoint.id,
    ]);
    const deliveryId = rows[0]!.id;
    expect((await member.client.rpc('resend_webhook_delivery', { p_delivery_id: deliveryId })).error).not.toBeNull();
    expect((await admin.client.rpc('resend_webhook_delivery', { p_delivery_id: deliveryId })).error).toBeNull();
    await kickUntil(
      async () => hooks.received.length >= 2 && (await deliveryStatuses(db, endpoint.id)).succeeded === 1,
    );
    expect(hooks.received[1]!.headers['webhook-id']).toBe(hooks.received[0]!.headers['webhook-id']);
  });

  it('refuses an event type that no status emits', async () => {
    const result = await admin.client.rpc('register_webhook_endpoint', {
      p_organisation_id: admin.organisationId,
      p_url: 'https://example.com/hook',
      p_events: ['export.exploded'],
      p_secret: 'whsec_' + 'A'.repeat(32),
    });
    expect(result.error?.message).toContain('Unknown webhook event "export.exploded"');
  });
});

describe("registering an endpoint (the route's domain call, as the signed-in user)", () => {
  const asUser = (tenant: Tenant, allowLoopback = false) => ({
    user: { supabase: tenant.client, userId: tenant.userId },
    policy: { allowLoopback },
  });
  const input = (url: string) => ({ organisationId: admin.organisationId, url, events: ['export.completed' as const] });

  it('gives an admin the secret once, and a working endpoint', async () => {
    const hooks = await receiver();
    const { endpoint, secret } = await registerWebhookEndpoint(asUser(admin, true), input(hooks.url));
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(endpoint).toMatchObject({ url: hooks.url, events: ['export.completed'], enabled: true });
    expect(endpoint).not.toHaveProperty('secret');
    const [jobId] = await insertJobs(db, admin, 1);
    await setStatus(db, [jobId!], 'completed');
    await kickUntil(async () => (await deliveryStatuses(db, endpoint.id)).succeeded === 1);
    expect(() =>
      new Webhook(secret).verify(hooks.received[0]!.body, hooks.received[0]!.headers as Record<string, string>),
    ).not.toThrow();
  });

  it('refuses loopback, private and metadata URLs in production, and http', async () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://169.254.169.254/',
      'https://localhost/',
      'http://example.com/',
    ]) {
      await expect(registerWebhookEndpoint(asUser(admin), input(url))).rejects.toMatchObject({ code: 'unprocessable' });
    }
  });

  it('refuses a member: only admins register', async () => {
    const refusal = await registerWebhookEndpoint(asUser(member, true), input('http://127.0.0.1:9/hook')).catch(
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'forbidden' });
  });

  it('enables a disabled endpoint again, its failure streak cleared', async () => {
    const endpoint = await insertEndpoint(db, admin, 'http://127.0.0.1:9/hook');
    await db.query(
      `update public.webhook_endpoints set enabled = false, disabled_at = now(), failing_since = now() - interval '4 days' where id = $1`,
      [endpoint.id],
    );
    await expect(setWebhookEndpointEnabled(member.client, endpoint.id, true)).rejects.toMatchObject({
      code: 'not_found',
    });
    const enabled = await setWebhookEndpointEnabled(admin.client, endpoint.id, true);
    expect(enabled).toMatchObject({ enabled: true, failing_since: null, disabled_at: null });
  });
});
