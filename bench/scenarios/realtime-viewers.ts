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
 * On this two-core box the exports themselves are CPU-bound, so they write progress far less often than
 * they would on hosted machines. A second phase therefore writes the same number of job rows at the
 * rate a worker at full speed does — two progress writes a second per job, the most the worker's
 * coalescing allows (BATON_WORKER_PROGRESS_INTERVAL_MS) — for `viewerSeconds`, started, progressed and
 * completed through the same triggers, with no worker running, to the same viewers.
 *
 * Figures: `realtime_msgs_per_s_<viewers>_viewers_<jobs>_jobs`, messages delivered a second to all clients
 * while the exports ran (target ≤ 500, a Pro project's quota), and `…_full_speed` for the second phase;
 * the same with the messages taken in (what hosted counts and bills); messages dropped over the quota;
 * the job viewers' row update → client p95 (as scenario 8 measures it), and how old a running export's
 * progress is when it reaches the list.
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

/** What the clients received during one phase. */
type Watch = {
  list: Array<{ receivedMs: number; rows: JobRow[] }>;
  /** Messages the first list viewer received. */
  listMessages: number;
  detail: Array<{ receivedMs: number; updatedMs: number }>;
};

/** One phase's figures, from the meter before and after, its samples and what the clients received. */
function summarise(input: {
  before: RealtimeUsage;
  after: RealtimeUsage;
  samples: Sample[];
  watch: Watch;
  jobIds: string[];
  wallS: number;
}) {
  const { before, after, samples, watch, jobIds, wallS } = input;
  const delta = (pick: (u: RealtimeUsage) => number) => pick(after) - pick(before);
  const delivered = delta((u) => u.totals.delivered);
  const sent = delta((u) => u.totals.sent);
  const overQuotaByCode = Object.fromEntries(
    Object.entries(after.overQuota.byCode)
      .map(([code, n]) => [code, n - (before.overQuota.byCode[code] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  let peakDelivered = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    peakDelivered = Math.max(
      peakDelivered,
      (b.usage.totals.delivered - a.usage.totals.delivered) / ((b.atMs - a.atMs) / 1000),
    );
  }
  const detailLatencies = watch.detail.map((r) => r.receivedMs - r.updatedMs);
  // How old a running export's progress is when it reaches the list: each version once, at its receipt.
  const lastSeen = new Map<string, string>();
  const listAges: number[] = [];
  for (const receipt of watch.list) {
    for (const row of receipt.rows) {
      if (!jobIds.includes(row.id) || lastSeen.get(row.id) === row.updated_at) continue;
      lastSeen.set(row.id, row.updated_at);
      listAges.push(receipt.receivedMs - parseTimestamp(row.updated_at));
    }
  }
  const stats = (values: number[]) => ({
    median: median(values),
    p95: p95(values),
    max: max(values),
    n: values.length,
  });
  return {
    wallS,
    delivered,
    sent,
    dropped: delta((u) => u.totals.dropped),
    undelivered: delta((u) => u.totals.undelivered),
    deliveredPerSecond: delivered / wallS,
    sentPerSecond: sent / wallS,
    countedPerSecond: (delivered + sent) / wallS,
    peakDeliveredPerSecond: peakDelivered,
    peakHostedRate: Math.max(0, ...samples.map((s) => s.usage.current.messagesPerSecond)),
    overQuota: delta((u) => u.overQuota.total),
    overQuotaByCode,
    listMessagesPerViewerPerSecond: watch.listMessages / wallS,
    detailLatencyMs: stats(detailLatencies),
    listAgeMs: stats(listAges),
    samples: samples.map((s) => ({
      atMs: s.atMs,
      delivered: s.usage.totals.delivered,
      sent: s.usage.totals.sent,
      hostedRate: s.usage.current.messagesPerSecond,
      limited: s.usage.current.messagesLimited,
    })),
  };
}
type PhaseFigures = ReturnType<typeof summarise>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

    let watch: Watch = { list: [], listMessages: 0, detail: [] };
    // The list: every viewer joined to the organisation's topic; the first one's receipts are kept.
    await Promise.all(
      listViewers.map((viewer, index) => {
        const channel = viewer.client
          .channel(`org:${stack.user.organisationId}:exports`, { config: { private: true } })
          .on('broadcast', { event: '*' }, (message: { event: string; payload: unknown }) => {
            if (index !== 0) return;
            watch.listMessages += 1;
            watch.list.push({ receivedMs: Date.now(), rows: listEntries(message.event, message.payload) });
          });
        return subscribed(channel);
      }),
    );
    /** Each job viewer on one job's page (as after the redirect from the form); the previous pages left. */
    const openJobPages = async (jobIds: string[]) => {
      await Promise.all(
        jobViewers.map(async (viewer, i) => {
          for (const channel of viewer.client.getChannels()) await viewer.client.removeChannel(channel);
          const channel = viewer.client
            .channel(`export:${jobIds[i]!}`, { config: { private: true } })
            .on('broadcast', { event: 'UPDATE' }, (message: { payload: { record: JobRow } }) => {
              watch.detail.push({
                receivedMs: Date.now(),
                updatedMs: parseTimestamp(message.payload.record.updated_at),
              });
            });
          await subscribed(channel);
        }),
      );
    };

    const samples: Sample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // A reading lost to a reset connection (the box is busy) is a gap in the samples, not a failed run.
        const usage = await realtimeUsage(stack).catch(() => null);
        if (usage) samples.push({ atMs: Date.now(), usage });
        await sleep(1_000);
      }
    })();
    const samplesSince = (fromMs: number) => samples.filter((s) => s.atMs >= fromMs);

    const settings = await stack.db.query<{ lanes: number; per_org: number }>(
      'select max_running_lanes as lanes, max_running_lanes_per_org as per_org from private.export_settings',
    );
    const caps = settings.rows[0]!;
    try {
      // ---- Phase 1: real exports, all at once (the caps — 16 lanes, 8 an organisation — would queue some).
      await stack.db.query(
        'update private.export_settings set max_running_lanes = greatest(max_running_lanes, $1), max_running_lanes_per_org = greatest(max_running_lanes_per_org, $1)',
        [jobCount],
      );
      const before = await realtimeUsage(stack);
      const startedMs = Date.now();
      log(`realtime-viewers: starting ${jobCount} exports of ${num(records)} records …`);
      const jobs = await Promise.all(
        Array.from({ length: jobCount }, () =>
          startExport(
            {
              user: { supabase: stack.user.client, userId: stack.user.userId },
              admin: stack.admin,
              typesense: stack.appTypesense,
            },
            { sourceId: stack.user.sourceId, format: 'csv', filter: `hs_object_id:<${demoKeyBound(records)}` },
          ),
        ),
      );
      const ids = jobs.map((job) => job.id);
      await openJobPages(ids);
      const deadline = Date.now() + 20 * 60_000;
      for (;;) {
        const { rows } = await stack.db.query<{ done: number }>(
          `select count(*)::int as done from public.export_jobs
           where id = any($1::uuid[]) and status in ('completed', 'failed', 'cancelled')`,
          [ids],
        );
        if ((rows[0]?.done ?? 0) === ids.length) break;
        if (Date.now() > deadline) throw new Error('the exports did not finish within 20 minutes');
        await sleep(500);
      }
      // The last messages of the last job.
      await sleep(2_000);
      const after = await realtimeUsage(stack);
      const { rows: window } = await stack.db.query<{ wall_ms: string; completed: number; rows: string }>(
        `select extract(epoch from max(finished_at) - min(created_at)) * 1000 as wall_ms,
                count(*) filter (where status = 'completed')::int as completed, sum(rows_written) as rows
         from public.export_jobs where id = any($1::uuid[])`,
        [ids],
      );
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
      const exportsPhase = {
        ...summarise({
          before,
          after,
          samples: samplesSince(startedMs),
          watch,
          jobIds: ids,
          wallS: Number(window[0]!.wall_ms) / 1000,
        }),
        completed: window[0]!.completed,
        rows: Number(window[0]!.rows),
        unfinished,
        invocationEnds: Object.fromEntries(endings.map((e) => [e.end_reason ?? 'running', e.n])),
      };

      // ---- Phase 2: the same number of job rows, written as a worker at full speed writes them.
      watch = { list: [], listMessages: 0, detail: [] };
      const seconds = options.viewerSeconds;
      log(`realtime-viewers: writing ${jobCount} job rows at two progress writes a second each for ${seconds} s …`);
      // Created with their lanes never due, in one transaction, so the sweep starts no worker for them.
      const creating = await stack.db.connect();
      let syntheticIds: string[];
      try {
        await creating.query('begin');
        const created = await creating.query<{ id: string }>(
          `insert into public.export_jobs (organisation_id, source_id, requested_by, collection, key_field, fields, format, estimated_rows)
           select $1, $2, $3, 'blog_posts', 'hs_object_id', '{hs_object_id,title}', 'csv', $4
           from generate_series(1, $5) returning id`,
          [stack.user.organisationId, stack.user.sourceId, stack.user.userId, 250 * 2 * seconds, jobCount],
        );
        syntheticIds = created.rows.map((row) => row.id);
        await creating.query(`update public.export_lanes set kick_at = 'infinity' where job_id = any($1::uuid[])`, [
          syntheticIds,
        ]);
        await creating.query('commit');
      } catch (error) {
        await creating.query('rollback');
        throw error;
      } finally {
        creating.release();
      }
      await openJobPages(syntheticIds);
      const fullBefore = await realtimeUsage(stack);
      const fullStartedMs = Date.now();
      await stack.db.query(
        `update public.export_jobs set status = 'running', started_at = now() where id = any($1::uuid[])`,
        [syntheticIds],
      );
      // Each job on its own clock, spread over the first half-second, as independent workers would be.
      await Promise.all(
        syntheticIds.map(async (id, i) => {
          await sleep((500 * i) / syntheticIds.length);
          for (let n = 1; n <= seconds * 2; n++) {
            const due = fullStartedMs + (500 * i) / syntheticIds.length + n * 500;
            await sleep(Math.max(0, due - Date.now()));
            await stack.db.query(
              `update public.export_jobs set shards_written = $2, rows_written = $2 * 250, bytes_written = $2 * 480000
               where id = $1`,
              [id, n],
            );
          }
          await stack.db.query(
            `update public.export_jobs set status = 'completed', finished_at = now(), tail_complete = true where id = $1`,
            [id],
          );
        }),
      );
      await sleep(2_000);
      const fullAfter = await realtimeUsage(stack);
      const fullSpeedPhase = summarise({
        before: fullBefore,
        after: fullAfter,
        samples: samplesSince(fullStartedMs),
        watch,
        jobIds: syntheticIds,
        wallS: (Date.now() - 2_000 - fullStartedMs) / 1000,
      });

      const figureKey = `${options.viewers}_viewers_${jobCount}_jobs`;
      const limits = fullAfter.limits;
      const both = (pick: (p: PhaseFigures) => string) => [pick(exportsPhase), pick(fullSpeedPhase)];
      const table: Table = {
        title: `${realtimeViewers.title} (${jobCount} exports in one organisation, ${options.viewers} members on the list, ${detailCount} on a job's page; plan ${fullAfter.plan}: ${num(limits.maxEventsPerSecond)} messages a second)`,
        columns: [
          'measure',
          `${jobCount} exports × ${num(records)} records`,
          `${jobCount} jobs at full speed, ${seconds} s`,
        ],
        rows: [
          [
            'ran',
            `${exportsPhase.completed} of ${jobCount} completed in ${num(exportsPhase.wallS, 1)} s`,
            `${jobCount} × ${seconds * 2} progress writes in ${num(fullSpeedPhase.wallS, 1)} s`,
          ],
          ...unfinished.map((job) => [
            '  not completed',
            `${job.status}: ${job.last_error_kind ?? ''} ${job.last_error ?? ''}`.trim(),
            '',
          ]),
          ['messages delivered a second (all clients)', ...both((p) => num(p.deliveredPerSecond, 1))],
          ['  busiest second', ...both((p) => num(p.peakDeliveredPerSecond, 0))],
          ['messages taken in a second (sent)', ...both((p) => num(p.sentPerSecond, 1))],
          ['delivered + sent a second (what hosted counts)', ...both((p) => num(p.countedPerSecond, 1))],
          ["  hosted's rate at its busiest (minute average)", ...both((p) => num(p.peakHostedRate, 1))],
          ['list messages a second, one viewer', ...both((p) => num(p.listMessagesPerViewerPerSecond, 2))],
          ['dropped over the quota (deliveries lost)', ...both((p) => `${num(p.dropped)} (${num(p.undelivered)})`)],
          [
            'over-quota events',
            ...both((p) => (p.overQuota === 0 ? '0' : `${num(p.overQuota)}: ${JSON.stringify(p.overQuotaByCode)}`)),
          ],
          [
            'job page: row update → client median / p95',
            ...both((p) => `${ms(p.detailLatencyMs.median, 1)} / ${ms(p.detailLatencyMs.p95, 1)}`),
          ],
          [
            'list: progress age at receipt, median / p95',
            ...both((p) => `${ms(p.listAgeMs.median, 1)} / ${ms(p.listAgeMs.p95, 1)}`),
          ],
        ],
        notes: [
          'Counted by the devstack as hosted counts Realtime: a committed message once when taken in, once more per channel it reaches.',
          'Rates over the phase: first job created → last finished (exports), first write → last (full speed); the busiest second from the meter read every second.',
          "Hosted's rate: its counter's average over up to a minute of 5 s buckets, which is what the plan's limit is compared with; over it, messages are dropped.",
          'Full speed: job rows written as a worker writes them at most (two progress writes a second per job), with no worker running: what hosted machines would feed Realtime.',
          `Invocations of the exports, by how they ended: ${JSON.stringify(exportsPhase.invocationEnds)}.`,
        ],
      };
      return {
        tables: [table],
        data: {
          jobs: jobCount,
          records,
          viewers: options.viewers,
          detailViewers: detailCount,
          plan: fullAfter.plan,
          limits,
          exports: exportsPhase,
          fullSpeed: { seconds, ...fullSpeedPhase },
        },
        figures: {
          [`realtime_msgs_per_s_${figureKey}`]: exportsPhase.deliveredPerSecond,
          [`realtime_counted_msgs_per_s_${figureKey}`]: exportsPhase.countedPerSecond,
          [`realtime_p95_ms_job_page_${figureKey}`]: exportsPhase.detailLatencyMs.p95,
          [`realtime_list_age_p95_ms_${figureKey}`]: exportsPhase.listAgeMs.p95,
          [`realtime_msgs_per_s_${figureKey}_full_speed`]: fullSpeedPhase.deliveredPerSecond,
          [`realtime_counted_msgs_per_s_${figureKey}_full_speed`]: fullSpeedPhase.countedPerSecond,
          [`realtime_dropped_${figureKey}_full_speed`]: fullSpeedPhase.dropped,
          [`realtime_p95_ms_job_page_${figureKey}_full_speed`]: fullSpeedPhase.detailLatencyMs.p95,
          [`realtime_list_age_p95_ms_${figureKey}_full_speed`]: fullSpeedPhase.listAgeMs.p95,
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
