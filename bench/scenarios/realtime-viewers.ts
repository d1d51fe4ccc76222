import { randomUUID } from 'node:crypto';
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import type { RealtimeUsage } from '../../devstack/realtime/quota';
import { startExport } from '../../lib/exports/start-export';
import { demoKeyBound } from '../lib/export-run';
import { ms, num, type Table } from '../lib/format';
import type { BenchContext, Scenario } from '../lib/scenario';
import { realtimeUsage, type BenchStack } from '../lib/stack';
import { max, median, p95 } from '../lib/stats';
import { parseTimestamp } from '../lib/timestamps';

/**
 * Scenario 8b — Realtime within the hosted quota. One organisation runs `viewerJobs` exports at once
 * (`viewerRecords` records each; the lane caps are raised so all of them run), watched by `viewers`
 * members on the exports list (each a supabase-js client signed in with a password, joined to the
 * private topic `org:<id>:exports`) and `detailViewers` members each on one job's page (`export:<job>`).
 * The devstack meters Realtime as hosted does (devstack/realtime/quota.ts): every message counts once
 * when Realtime takes it in and once per channel it is delivered to, and the project's plan (Pro: 500
 * messages a second, judged over a minute) is enforced — over it, messages are dropped.
 *
 * Figures: `realtime_msgs_per_s_<viewers>_viewers_<jobs>_jobs`, messages delivered a second to all clients
 * while the exports ran (target ≤ 500, a Pro project's quota); the same with the messages taken in
 * (what hosted counts and bills); the job viewers' row update → client p95 (as scenario 8 measures it),
 * and how old a running export's progress is when it reaches the list.
 */

type Member = { client: SupabaseClient; userId: string };
type JobRow = { id: string; updated_at: string; shards_written?: number };

/** Members of the demo organisation, signed in, each with a socket of its own. */
async function signedInMembers(stack: BenchStack, count: number, label: string): Promise<Member[]> {
  const password = `bench-${randomUUID()}`;
  const members: Member[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${label}-${i}-${randomUUID().slice(0, 8)}@bench.local`;
    const created = await stack.admin.auth.admin.createUser({ email, password, email_confirm: true });
    if (created.error) throw created.error;
    const userId = created.data.user.id;
    await stack.db.query(`insert into public.memberships (organisation_id, user_id, role) values ($1, $2, 'viewer')`, [
      stack.user.organisationId,
      userId,
    ]);
    const client = createClient(stack.apiUrl, stack.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const signedIn = await client.auth.signInWithPassword({ email, password });
    if (signedIn.error) throw signedIn.error;
    // The documented step before a private channel: the socket carries the user's token.
    await client.realtime.setAuth();
    members.push({ client, userId });
  }
  return members;
}

/**
 * Resolves on SUBSCRIBED. A join that times out or errors is retried by realtime-js itself (on this
 * busy box a join can wait behind the exports' requests), so only a join that never succeeds fails.
 */
function subscribed(channel: RealtimeChannel, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel.topic}: not subscribed in ${timeoutMs} ms`)), timeoutMs);
    channel.subscribe((status) => {
      if (status !== 'SUBSCRIBED') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The job rows a list message carries: the feed of 20261206000500 sent each changed row (INSERT/UPDATE,
 * `record`); the coalesced feed sends `jobs` (every running job's progress) and, for a change of state,
 * the changed `job`.
 */
function listEntries(event: string, payload: unknown): JobRow[] {
  const p = payload as { record?: JobRow | null; job?: JobRow | null; jobs?: JobRow[] };
  if (event === 'INSERT' || event === 'UPDATE') return p.record ? [p.record] : [];
  return [...(p.job ? [p.job] : []), ...(p.jobs ?? [])];
}

type Sample = { atMs: number; usage: RealtimeUsage };

export const realtimeViewers: Scenario = {
  name: 'realtime-viewers',
  title: '8b. Realtime within the quota',
  recordsNeeded: (options) => options.viewerRecords,
  run: async (ctx: BenchContext) => {
    const { stack, options, log } = ctx;
    const jobCount = options.viewerJobs;
    const records = options.viewerRecords;
    const detailCount = Math.min(options.detailViewers, jobCount);
    log(`realtime-viewers: signing in ${options.viewers} list viewers and ${detailCount} job viewers …`);
    const listViewers = await signedInMembers(stack, options.viewers, 'list-viewer');
    const jobViewers = await signedInMembers(stack, detailCount, 'job-viewer');
    const everyone = [...listViewers, ...jobViewers];

    // The list: every viewer joined to the organisation's topic; the first one's receipts are kept.
    const listReceipts: Array<{ receivedMs: number; event: string; rows: JobRow[] }> = [];
    const perViewer = new Map<number, number>();
    await Promise.all(
      listViewers.map((viewer, index) => {
        const channel = viewer.client
          .channel(`org:${stack.user.organisationId}:exports`, { config: { private: true } })
          .on('broadcast', { event: '*' }, (message: { event: string; payload: unknown }) => {
            perViewer.set(index, (perViewer.get(index) ?? 0) + 1);
            if (index === 0)
              listReceipts.push({
                receivedMs: Date.now(),
                event: message.event,
                rows: listEntries(message.event, message.payload),
              });
          });
        return subscribed(channel);
      }),
    );

    const settings = await stack.db.query<{ lanes: number; per_org: number }>(
      'select max_running_lanes as lanes, max_running_lanes_per_org as per_org from private.export_settings',
    );
    const caps = settings.rows[0]!;
    // Every export runs at once: the caps (16 lanes, 8 an organisation) would queue some of them.
    await stack.db.query(
      'update private.export_settings set max_running_lanes = greatest(max_running_lanes, $1), max_running_lanes_per_org = greatest(max_running_lanes_per_org, $1)',
      [jobCount],
    );
    const detailReceipts: Array<{ receivedMs: number; updatedMs: number }> = [];
    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // A reading lost to a reset connection (the box is busy) is a gap in the samples, not a failed run.
        const usage = await realtimeUsage(stack).catch(() => null);
        if (usage) samples.push({ atMs: Date.now(), usage });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    try {
      const before = await realtimeUsage(stack);
      log(`realtime-viewers: starting ${jobCount} exports of ${num(records)} records …`);
      const jobs = await Promise.all(
        Array.from({ length: jobCount }, () =>
          startExport(
            {
              user: { supabase: stack.user.client, userId: stack.user.userId },
              admin: stack.admin,
              typesense: stack.typesense,
            },
            {
              sourceId: stack.user.sourceId,
              format: 'csv',
              filter: `hs_object_id:<${demoKeyBound(records)}`,
            },
          ),
        ),
      );
      // A job's page, opened once the export has started (as after the redirect from the form).
      await Promise.all(
        jobViewers.map((viewer, i) => {
          const channel = viewer.client
            .channel(`export:${jobs[i]!.id}`, { config: { private: true } })
            .on('broadcast', { event: 'UPDATE' }, (message: { payload: { record: JobRow } }) => {
              detailReceipts.push({
                receivedMs: Date.now(),
                updatedMs: parseTimestamp(message.payload.record.updated_at),
              });
            });
          return subscribed(channel);
        }),
      );

      const ids = jobs.map((job) => job.id);
      const deadline = Date.now() + 20 * 60_000;
      for (;;) {
        const { rows } = await stack.db.query<{ done: number }>(
          `select count(*)::int as done from public.export_jobs
           where id = any($1::uuid[]) and status in ('completed', 'failed', 'cancelled')`,
          [ids],
        );
        if ((rows[0]?.done ?? 0) === ids.length) break;
        if (Date.now() > deadline) throw new Error('the exports did not finish within 20 minutes');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // The last messages of the last job.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const after = await realtimeUsage(stack);
      const { rows: window } = await stack.db.query<{ wall_ms: string; completed: number; rows: string }>(
        `select extract(epoch from max(finished_at) - min(created_at)) * 1000 as wall_ms,
                count(*) filter (where status = 'completed')::int as completed, sum(rows_written) as rows
         from public.export_jobs where id = any($1::uuid[])`,
        [ids],
      );
      const wallS = Number(window[0]!.wall_ms) / 1000;
      // Why an export did not complete, and how every invocation ended (a busy box can cost leases).
      const { rows: unfinished } = await stack.db.query<{
        status: string;
        last_error_kind: string | null;
        last_error: string | null;
      }>(
        `select status, last_error_kind, last_error from public.export_jobs
         where id = any($1::uuid[]) and status <> 'completed'`,
        [ids],
      );
      const { rows: endings } = await stack.db.query<{ end_reason: string | null; n: number }>(
        `select end_reason, count(*)::int as n from public.export_invocations where job_id = any($1::uuid[])
         group by end_reason order by n desc`,
        [ids],
      );
      const delta = (pick: (u: RealtimeUsage) => number) => pick(after) - pick(before);
      const delivered = delta((u) => u.totals.delivered);
      const sent = delta((u) => u.totals.sent);
      const dropped = delta((u) => u.totals.dropped);
      const undelivered = delta((u) => u.totals.undelivered);
      const overQuota = delta((u) => u.overQuota.total);
      const overQuotaByCode = Object.fromEntries(
        Object.entries(after.overQuota.byCode)
          .map(([code, n]) => [code, n - (before.overQuota.byCode[code] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      );

      // Busiest second and hosted's own rate (its minute average), from the samples taken every second.
      const running = samples.filter((s) => s.atMs >= Date.now() - wallS * 1000 - 5_000);
      let peakDelivered = 0;
      for (let i = 1; i < running.length; i++) {
        const a = running[i - 1]!;
        const b = running[i]!;
        peakDelivered = Math.max(
          peakDelivered,
          (b.usage.totals.delivered - a.usage.totals.delivered) / ((b.atMs - a.atMs) / 1000),
        );
      }
      const peakHostedRate = Math.max(0, ...running.map((s) => s.usage.current.messagesPerSecond));

      const detailLatencies = detailReceipts.map((r) => r.receivedMs - r.updatedMs);
      // How old a running export's progress is when it reaches the list: rows that changed since the last
      // message, at receipt.
      const lastSeen = new Map<string, string>();
      const listAges: number[] = [];
      for (const receipt of listReceipts) {
        for (const row of receipt.rows) {
          if (!ids.includes(row.id) || lastSeen.get(row.id) === row.updated_at) continue;
          lastSeen.set(row.id, row.updated_at);
          listAges.push(receipt.receivedMs - parseTimestamp(row.updated_at));
        }
      }
      const viewerRate = (perViewer.get(0) ?? 0) / wallS;
      const figureKey = `${options.viewers}_viewers_${jobCount}_jobs`;
      const data = {
        jobs: jobCount,
        records,
        viewers: options.viewers,
        detailViewers: detailCount,
        completed: window[0]!.completed,
        unfinished,
        invocationEnds: Object.fromEntries(endings.map((e) => [e.end_reason ?? 'running', e.n])),
        rows: Number(window[0]!.rows),
        wallS,
        plan: after.plan,
        limits: after.limits,
        delivered,
        sent,
        dropped,
        undelivered,
        deliveredPerSecond: delivered / wallS,
        billedPerSecond: (delivered + sent) / wallS,
        sentPerSecond: sent / wallS,
        peakDeliveredPerSecond: peakDelivered,
        peakHostedRate,
        overQuota,
        overQuotaByCode,
        listMessagesPerViewerPerSecond: viewerRate,
        listMessagesPerViewer: perViewer.get(0) ?? 0,
        detailLatencyMs: {
          median: median(detailLatencies),
          p95: p95(detailLatencies),
          max: max(detailLatencies),
          n: detailLatencies.length,
        },
        listAgeMs: { median: median(listAges), p95: p95(listAges), max: max(listAges), n: listAges.length },
        samples: running.map((s) => ({
          atMs: s.atMs,
          delivered: s.usage.totals.delivered,
          sent: s.usage.totals.sent,
          hostedRate: s.usage.current.messagesPerSecond,
          limited: s.usage.current.messagesLimited,
        })),
      };
      const table: Table = {
        title: `${realtimeViewers.title} (${jobCount} exports × ${num(records)} records in one organisation, ${options.viewers} members on the list, ${detailCount} on a job's page; plan ${after.plan}: ${num(after.limits.maxEventsPerSecond)} messages a second)`,
        columns: ['measure', 'value'],
        rows: [
          ['exports completed', `${data.completed} of ${jobCount} in ${num(wallS, 1)} s (${num(data.rows)} records)`],
          ...unfinished.map((job) => [
            '  not completed',
            `${job.status}: ${job.last_error_kind ?? ''} ${job.last_error ?? ''}`.trim(),
          ]),
          ['invocations, by how they ended', JSON.stringify(data.invocationEnds)],
          ['messages delivered a second (all clients)', num(data.deliveredPerSecond, 1)],
          ['  busiest second', num(peakDelivered, 0)],
          ['messages taken in a second (sent)', num(data.sentPerSecond, 1)],
          ['delivered + sent a second (what hosted counts)', num(data.billedPerSecond, 1)],
          ["  hosted's rate at its busiest (minute average)", num(peakHostedRate, 1)],
          ['list messages a second, one viewer', num(viewerRate, 2)],
          ['dropped over the quota (deliveries lost)', `${num(dropped)} (${num(undelivered)})`],
          ['over-quota events', overQuota === 0 ? '0' : `${num(overQuota)}: ${JSON.stringify(overQuotaByCode)}`],
          [
            'job page: row update → client median / p95',
            `${ms(data.detailLatencyMs.median, 1)} / ${ms(data.detailLatencyMs.p95, 1)} (n = ${detailLatencies.length})`,
          ],
          [
            'list: age of a running export’s progress at receipt, median / p95',
            `${ms(data.listAgeMs.median, 1)} / ${ms(data.listAgeMs.p95, 1)} (n = ${listAges.length})`,
          ],
        ],
        notes: [
          'Counted by the devstack as hosted counts Realtime: a committed message once when taken in, once more per channel it reaches.',
          'Rates are over the exports’ wall time (first created → last finished); the busiest second from samples of the meter taken every second.',
          "Hosted's rate: its counter's average over up to a minute of 5 s buckets, which is what the plan's limit is compared with.",
        ],
      };
      return {
        tables: [table],
        data,
        figures: {
          [`realtime_msgs_per_s_${figureKey}`]: data.deliveredPerSecond,
          [`realtime_counted_msgs_per_s_${figureKey}`]: data.billedPerSecond,
          [`realtime_p95_ms_job_page_${figureKey}`]: data.detailLatencyMs.p95,
          [`realtime_list_age_p95_ms_${figureKey}`]: data.listAgeMs.p95,
          [`realtime_dropped_${figureKey}`]: dropped,
        },
      };
    } finally {
      sampling = false;
      await sampler;
      await stack.db.query(
        'update private.export_settings set max_running_lanes = $1, max_running_lanes_per_org = $2',
        [caps.lanes, caps.per_org],
      );
      await Promise.all(everyone.map((member) => member.client.removeAllChannels()));
    }
  },
};
