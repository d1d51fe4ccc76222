'use client';

import { useQuery } from '@tanstack/react-query';
import { format } from 'date-fns';
import { ArrowRightIcon, CircleAlertIcon, CircleCheckIcon, DownloadIcon } from 'lucide-react';
import Link from 'next/link';
import { useId, type ReactNode } from 'react';
import { useNow } from '@/components/hooks/use-now';
import { Button } from '@/components/ui/button';
import { Progress } from '@/components/ui/progress';
import { RelativeTime } from '@/components/ui/relative-time';
import { errorMessage } from '@/lib/queries/api-fetch';
import { SYSTEM_HEALTH_REFRESH_MS, systemHealthQueryOptions } from '@/lib/queries/system-health-query';
import type { OrganisationHealth, SystemHealth } from '@/lib/system/system-health';
import { cn } from '@/lib/utils';
import { formatBytes, formatCount } from '@/lib/view-model/format';
import { exportsCount } from '@/lib/view-model/format';
import { errorKindSentence, sweepState } from '@/lib/view-model/system-health-figures';

/**
 * System health for support and admins: the deployment's sweep, deadlocks and caps, then each of the
 * caller's organisations — running lanes against the cap, queued and retrying lanes, worker invocations,
 * errors, storage — read again every few seconds; every figure links to the exports behind it.
 */
export function SystemHealthView({ initial }: { initial: SystemHealth }) {
  const health = useQuery({ ...systemHealthQueryOptions(), initialData: initial });
  const now = useNow(1000);
  const data = health.data;
  return (
    <div className="flex flex-col gap-8">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold">System health</h1>
        <p className="text-sm text-neutral-600" data-testid="health-updated">
          Figures of {format(new Date(data.generated_at), 'HH:mm:ss')}; read again every{' '}
          {SYSTEM_HEALTH_REFRESH_MS / 1000} s.
        </p>
        {health.isRefetchError ? (
          <p role="alert" className="text-sm text-amber-800">
            Could not read the figures again ({errorMessage(health.error)}); these are from{' '}
            {format(new Date(data.generated_at), 'HH:mm:ss')}.
          </p>
        ) : null}
      </div>
      <Deployment health={data} now={now} />
      {data.organisations.map((o) => (
        <Organisation key={o.id} organisation={o} caps={data.caps} />
      ))}
    </div>
  );
}

function Deployment({ health, now }: { health: SystemHealth; now: number }) {
  const headingId = useId();
  const sweep = sweepState(health.sweep, now || Date.parse(health.generated_at));
  const { deadlocks, caps } = health;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <h2 id={headingId} className="text-lg font-semibold">
        Whole deployment
      </h2>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Figure
          title="Sweep’s last run"
          value={sweep.state === 'never' ? 'Not in 2 hours' : <RelativeTime iso={sweep.lastRunAt} />}
          tone={sweep.state === 'ok' ? 'ok' : 'warn'}
          link={{ href: '/exports?status=retrying', label: 'Exports waiting to retry' }}
        >
          {sweep.sentence} It requeues retries and reaps workers that died.
        </Figure>
        <Figure
          title="Deadlocks, last hour"
          value={deadlocks.count === null ? 'Not known yet' : formatCount(deadlocks.count)}
          tone={deadlocks.count ? 'warn' : 'ok'}
        >
          {deadlocks.since
            ? `Database-wide, since ${format(new Date(deadlocks.since), 'HH:mm')}: they belong to no one export. `
            : 'Counted from the sweep’s runs, once it has run. '}
          A worker sends a call Postgres rolled back again, so a deadlock costs time, not data.
        </Figure>
        <Figure title="Running-lane caps" value={`${formatCount(caps.max_running_lanes_per_org)} per organisation`}>
          And {formatCount(caps.max_running_lanes)} over all organisations. A lane over a cap waits, queued, for a free
          slot.
        </Figure>
      </ul>
    </section>
  );
}

function Organisation({ organisation: o, caps }: { organisation: OrganisationHealth; caps: SystemHealth['caps'] }) {
  const headingId = useId();
  const cap = caps.max_running_lanes_per_org;
  return (
    <section aria-labelledby={headingId} className="flex flex-col gap-3">
      <div className="flex flex-wrap items-baseline gap-x-3">
        <h2 id={headingId} className="text-lg font-semibold">
          {o.name}
        </h2>
        <span className="text-sm text-neutral-600">your role: {o.role}</span>
        {o.role === 'admin' ? (
          // A plain link: the browser saves the CSV the route streams (admins only; 403 for anyone else).
          <Button asChild variant="outline" size="sm" className="ml-auto self-center">
            <a href={`/api/organisations/${o.id}/download-log`} download>
              <DownloadIcon aria-hidden />
              Download log (CSV)
              <span className="sr-only"> of {o.name}</span>
            </a>
          </Button>
        ) : null}
      </div>
      <ul className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
        <Figure
          title="Running lanes"
          value={`${formatCount(o.running_lanes)} of ${formatCount(cap)}`}
          tone={o.running_lanes >= cap ? 'warn' : 'ok'}
          link={{ href: '/exports?status=running', label: exportsCount(o.exports.running, 'running') }}
        >
          <Progress
            value={o.running_lanes}
            max={cap}
            aria-label={`Running lanes of ${o.name}`}
            getValueLabel={() => `${formatCount(o.running_lanes)} of ${formatCount(cap)} lanes`}
            className="mb-1"
          />
          {o.running_lanes >= cap ? 'At the organisation’s cap: more lanes wait, queued.' : 'Against the cap above.'}
        </Figure>
        <Figure
          title="Queued lanes"
          value={formatCount(o.queued_lanes)}
          link={{ href: '/exports?status=queued', label: exportsCount(o.exports.queued, 'queued') }}
        >
          Waiting for a worker or a free slot; some may belong to running exports.
        </Figure>
        <Figure
          title="Lanes waiting to retry"
          value={formatCount(o.retrying_lanes)}
          tone={o.retrying_lanes > 0 ? 'warn' : 'ok'}
          link={{ href: '/exports?status=retrying', label: exportsCount(o.exports.retrying, 'retrying') }}
        >
          Failed and backing off; the sweep requeues each when its retry is due.
        </Figure>
        <Figure
          title="Worker invocations, last minute"
          value={formatCount(o.invocations_last_minute)}
          link={{ href: '/exports?status=running', label: exportsCount(o.exports.running, 'running') }}
        >
          {o.declined_last_minute > 0
            ? `And ${formatCount(o.declined_last_minute)} declined: the lane was taken, finished or over a cap.`
            : 'None declined.'}
        </Figure>
        <Figure
          title="Errors, last hour"
          value={formatCount(o.errors_last_hour)}
          tone={o.errors_last_hour > 0 ? 'warn' : 'ok'}
        >
          {o.errors_last_hour === 0 ? (
            'No failed attempt.'
          ) : (
            <>
              <span className="block">{o.errors_by_kind.map(errorKindSentence).join(' · ')}</span>
              <ul aria-label="Exports with errors" className="mt-2 flex flex-col gap-1">
                {o.exports_with_errors.map((e) => (
                  <li key={e.id}>
                    <Link
                      href={`/exports/${e.id}?tab=activity&kind=failures`}
                      className="text-blue-800 underline-offset-2 hover:underline"
                    >
                      {e.name}
                    </Link>{' '}
                    <span className="text-neutral-600">({formatCount(e.count)})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </Figure>
        <Figure
          title="Storage used"
          value={formatBytes(o.storage_bytes)}
          link={{ href: '/exports?sort=size&dir=desc', label: 'Exports by size' }}
        >
          In {exportsCount(o.exports.stored)}, as the shard manifests record it.
        </Figure>
      </ul>
    </section>
  );
}

function Figure({
  title,
  value,
  tone,
  link,
  children,
}: {
  title: string;
  value: ReactNode;
  tone?: 'ok' | 'warn';
  link?: { href: string; label: string };
  children: ReactNode;
}) {
  const Icon = tone === 'warn' ? CircleAlertIcon : CircleCheckIcon;
  return (
    <li className="flex flex-col gap-2 rounded-md border border-neutral-200 bg-white p-4">
      <h3 className="text-sm font-medium text-neutral-700">{title}</h3>
      <p className="flex items-center gap-2 text-2xl font-semibold tabular-nums">
        {tone ? (
          <>
            <Icon
              aria-hidden
              className={cn('size-5 shrink-0', tone === 'warn' ? 'text-state-failed-ink' : 'text-state-done-ink')}
            />
            <span className="sr-only">{tone === 'warn' ? 'Needs a look: ' : 'Fine: '}</span>
          </>
        ) : null}
        {value}
      </p>
      <div className="text-sm text-neutral-700">{children}</div>
      {link ? (
        <Link
          href={link.href}
          className="mt-auto inline-flex w-fit items-center gap-1 text-sm text-blue-800 underline-offset-2 hover:underline"
        >
          {link.label}
          <ArrowRightIcon aria-hidden className="size-4" />
        </Link>
      ) : null}
    </li>
  );
}
