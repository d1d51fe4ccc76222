'use client';

import { format } from 'date-fns';
import { CopyIcon, LinkIcon, RotateCcwIcon } from 'lucide-react';
import { useState } from 'react';
import { toast } from 'sonner';
import { SHARD_STATE_STYLE } from '@/components/shard-map/shard-style';
import { Button } from '@/components/ui/button';
import { Sheet, SheetContent, SheetDescription, SheetHeader, SheetTitle } from '@/components/ui/sheet';
import type { ExportInvocation, ExportJob, ExportShard } from '@/lib/exports/types';
import type { ExportManifest, ShardCheck } from '@/lib/queries/export-manifest-query';
import { cn } from '@/lib/utils';
import { formatBytes, formatCount, sentenceCase } from '@/lib/view-model/format';
import { plainError } from '@/lib/view-model/plain-error';
import { ATTEMPT_OUTCOME_LABEL, type ShardAttemptEntry } from '@/lib/view-model/shard-history';
import { shardHistory } from '@/lib/view-model/shard-history';
import type { LanePosition } from '@/lib/view-model/lane-positions';
import { triesAt } from '@/lib/view-model/shard-tries';
import { isActive, SHARD_STATE_LABEL, type ShardState } from '@/lib/view-model/shard-states';
import { RetryDialog } from './retry-dialog';
import { TechnicalDetails } from '@/components/ui/technical-details';

function Row({ label, children, mono }: { label: string; children: React.ReactNode; mono?: boolean }) {
  return (
    <div className="grid grid-cols-[9rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-neutral-600">{label}</dt>
      <dd className={cn('min-w-0 break-all', mono && 'font-mono text-xs')}>{children}</dd>
    </div>
  );
}

const stamp = (iso: string) => format(new Date(iso), 'd MMM yyyy HH:mm:ss.SSS');

function checkText(check: ShardCheck): string {
  switch (check.state) {
    case 'ok':
      return 'Object present with the manifest’s size';
    case 'missing':
      return 'Object missing from storage';
    case 'size_mismatch':
      return `Size mismatch: storage has ${formatCount(check.actualBytes)} bytes, manifest says ${formatCount(check.expectedBytes)}`;
    case 'checksum_mismatch':
      return `Checksum mismatch: storage has ${check.actualSha256}`;
  }
}

/**
 * Everything support needs about one shard, in a side sheet deep-linked by `?shard=N`: key range, size,
 * checksum, storage key, attempt, invocation, timing, problem, earlier attempts, verification.
 */
export function ShardInspector({
  job,
  shardNo,
  state,
  position,
  manifest,
  check,
  canOperate,
  onClose,
}: {
  job: ExportJob;
  shardNo: number | null;
  state: ShardState | null;
  /** The lane shard the map placed on this cell, when the manifest does not list it yet. */
  position: LanePosition | null;
  manifest: ExportManifest | undefined;
  check: ShardCheck | undefined;
  /** Member, support or admin: may re-run the shard. A viewer is told why the action is not there. */
  canOperate: boolean;
  onClose: () => void;
}) {
  const shard: ExportShard | undefined = manifest?.shards.find((s) => s.shard_no === shardNo);
  const previous = shardNo === null ? undefined : manifest?.shards.find((s) => s.shard_no === shardNo - 1);
  const attempts = manifest?.attempts.filter((a) => a.shard_no === shardNo) ?? [];
  const history = shardNo === null ? [] : shardHistory(shardNo, position, manifest);
  // The lane's own error at this shard, and this run's tries at it (the count the banner gives).
  const tries = triesAt(manifest?.failures ?? [], job.run_no, position);
  const lastTry = tries.at(-1);
  const error = lastTry ? { last_error: lastTry.error, last_error_kind: lastTry.error_kind } : job;
  const invocation = shard ? manifest?.invocations.find((i) => i.id === shard.invocation_id) : undefined;
  const style = state ? SHARD_STATE_STYLE[state] : null;
  // The shard whose panel is closing (the prop is already null by the time Radix returns focus).
  const [closingShard, setClosingShard] = useState<number | null>(null);
  if (shardNo !== null && shardNo !== closingShard) setClosingShard(shardNo);

  const link = () => {
    const url = new URL(window.location.href);
    url.search = '';
    url.searchParams.set('tab', 'support');
    if (shardNo !== null) url.searchParams.set('shard', String(shardNo));
    return url.toString();
  };
  const copy = (text: string, what: string) =>
    navigator.clipboard.writeText(text).then(
      () => toast.success(`${what} copied`),
      () => toast.error(`Could not copy the ${what.toLowerCase()}`),
    );

  return (
    <Sheet open={shardNo !== null} onOpenChange={(open) => (open ? undefined : onClose())}>
      <SheetContent
        onCloseAutoFocus={(event) => {
          // Back to the shard's cell in the map (the map keeps it rendered while its panel is open).
          const cell =
            closingShard === null
              ? null
              : document.querySelector<HTMLButtonElement>(`[data-testid="shard-map"] [data-shard="${closingShard}"]`);
          if (cell) {
            event.preventDefault();
            cell.focus();
          }
        }}
      >
        {shardNo === null ? null : (
          <>
            <SheetHeader>
              <SheetTitle>Shard {formatCount(shardNo)}</SheetTitle>
              <SheetDescription className="flex items-center gap-2">
                {style && state ? (
                  <>
                    <span
                      aria-hidden
                      className={cn('flex size-4 items-center justify-center rounded-[3px]', style.swatch)}
                    >
                      <style.Icon strokeWidth={3} className="size-3" />
                    </span>
                    <span>{sentenceCase(SHARD_STATE_LABEL[state])}</span>
                  </>
                ) : null}
                <span>
                  · {job.collection} · {job.format.toUpperCase()}
                </span>
              </SheetDescription>
            </SheetHeader>

            <div className="flex flex-wrap gap-2">
              <Button variant="outline" size="sm" onClick={() => void copy(link(), 'Link')}>
                <LinkIcon aria-hidden />
                Copy link
              </Button>
              {shard ? (
                <Button
                  variant="outline"
                  size="sm"
                  onClick={() => void copy(JSON.stringify({ shard, attempts, history, check }, null, 2), 'JSON')}
                >
                  <CopyIcon aria-hidden />
                  Copy as JSON
                </Button>
              ) : null}
              {shard && !isActive(job.status) && canOperate ? (
                <RetryDialog
                  jobId={job.id}
                  shardNos={[shard.shard_no]}
                  title={`Re-run shard ${formatCount(shard.shard_no)}`}
                  trigger={
                    <Button variant="outline" size="sm">
                      <RotateCcwIcon aria-hidden />
                      Re-run shard
                    </Button>
                  }
                />
              ) : null}
            </div>
            {shard && !canOperate ? (
              <p className="text-sm text-neutral-600">Your role is viewer: a member can re-run this shard.</p>
            ) : null}

            {shard ? (
              <dl className="divide-y divide-neutral-100">
                <Row label="Key range" mono>
                  ({shard.key_after ?? '−∞'}, {shard.key_last}] on {job.key_field}
                </Row>
                <Row label="Records">{formatCount(shard.rows)}</Row>
                <Row label="Bytes">
                  {formatBytes(shard.bytes, true)}
                  {shard.header_bytes > 0 ? ` · header ${formatCount(shard.header_bytes)} bytes` : ''}
                </Row>
                <Row label="SHA-256" mono>
                  {shard.sha256}
                </Row>
                <Row label="Stored as">
                  {shard.encoding === 'gzip' && shard.gzip_bytes !== null
                    ? `gzip, ${formatBytes(shard.gzip_bytes, true)} (${((shard.gzip_bytes / shard.bytes) * 100).toFixed(1)} %) · sha256 ${shard.gzip_sha256 ?? ''}`
                    : 'plain (written before compressed storage)'}
                </Row>
                <Row label="Storage key" mono>
                  {shard.storage_key}
                </Row>
                <Row label="Attempt">
                  {shard.attempt} · generation {shard.generation}
                </Row>
                <Row label="Manifest status">{shard.status === 'written' ? 'written' : 're-run requested'}</Row>
                <Row label="Invocation" mono>
                  {shard.invocation_id}
                  {invocation ? (
                    <span className="block font-sans text-neutral-600">
                      started {stamp(invocation.started_at)}
                      {invocation.end_reason ? `, ended: ${invocation.end_reason}` : ', still running'}
                    </span>
                  ) : null}
                </Row>
                <Row label="Written">{stamp(shard.written_at)}</Row>
                <Row label="Took">{formatCount(shard.duration_ms)} ms</Row>
                <Row label="Problem">
                  {shard.problem ? (
                    <span className="text-state-failed-ink">{shard.problem}</span>
                  ) : (
                    <span className="text-neutral-500">none recorded</span>
                  )}
                </Row>
                <Row label="Storage check">
                  {check ? (
                    <span className={check.state === 'ok' ? 'text-state-done-ink' : 'text-state-failed-ink'}>
                      {checkText(check)}
                    </span>
                  ) : (
                    <span className="text-neutral-500">not verified (Support → Verify storage)</span>
                  )}
                </Row>
              </dl>
            ) : (
              <div className="flex flex-col gap-2 text-sm">
                <p>
                  {state === 'failed'
                    ? 'The worker failed while writing this shard; nothing of it is in the manifest.'
                    : state === 'skipped'
                      ? 'This shard was never written: the export stopped before it.'
                      : 'This shard has not been written yet.'}
                </p>
                {previous ? (
                  <p className="text-neutral-700">
                    It starts after key <code className="font-mono">{previous.key_last}</code> ({job.key_field}), where
                    shard {formatCount(previous.shard_no)} ended.
                  </p>
                ) : null}
                {state === 'failed' && (error.last_error || error.last_error_kind) ? (
                  <div className="border-state-failed/30 bg-state-failed/5 rounded-md border p-3">
                    <p className="text-state-failed-ink font-medium">{plainError(error, shardNo, tries)?.headline}.</p>
                    <TechnicalDetails className="mt-1">
                      <p className="mt-1 font-mono text-xs break-all">
                        {error.last_error_kind ?? 'error'}: {error.last_error}
                      </p>
                    </TechnicalDetails>
                  </div>
                ) : null}
              </div>
            )}

            <AttemptHistory entries={history} invocations={manifest?.invocations ?? []} loading={!manifest} />
          </>
        )}
      </SheetContent>
    </Sheet>
  );
}

const outcomeTone: Record<ShardAttemptEntry['outcome'], string> = {
  written: 'border-state-done/40 text-state-done-ink',
  replaced: 'border-neutral-300 text-neutral-700',
  retrying: 'border-state-failed/40 text-state-failed-ink',
  failed: 'border-state-failed/60 text-state-failed-ink',
  requeued: 'border-state-failed/40 text-state-failed-ink',
};

/**
 * Every try at the shard, oldest first: time, invocation, lane, outcome, error — failures included, so
 * "failed five times" reads as five entries, never as "first write".
 */
function AttemptHistory({
  entries,
  invocations,
  loading,
}: {
  entries: ShardAttemptEntry[];
  invocations: ExportInvocation[];
  loading: boolean;
}) {
  const invocationNo = new Map(invocations.map((inv, i) => [inv.id, i + 1]));
  const failures = entries.filter((e) => e.outcome !== 'written' && e.outcome !== 'replaced').length;
  return (
    <section aria-labelledby="attempts-heading" className="flex flex-col gap-2">
      <h3 id="attempts-heading" className="text-sm font-semibold">
        Attempts{' '}
        <span className="font-normal text-neutral-600">
          ({formatCount(entries.length)}
          {failures > 0 ? `, ${formatCount(failures)} failed` : ''})
        </span>
      </h3>
      {loading ? (
        <p className="text-sm text-neutral-600">Loading the shard’s history…</p>
      ) : entries.length === 0 ? (
        <p className="text-sm text-neutral-600">No attempt at this shard has been recorded yet.</p>
      ) : (
        <ol className="flex flex-col gap-2" aria-label="Attempts at this shard">
          {entries.map((a, i) => {
            const no = a.invocationId ? invocationNo.get(a.invocationId) : undefined;
            return (
              <li
                key={`${a.outcome}-${a.at}-${i}`}
                className={cn('rounded-md border border-l-4 bg-white p-3 text-sm', outcomeTone[a.outcome])}
              >
                <p className="font-medium">
                  {ATTEMPT_OUTCOME_LABEL[a.outcome]}
                  {a.attempt !== null && a.maxAttempts !== null
                    ? ` · attempt ${a.attempt} of ${a.maxAttempts}`
                    : a.attempt !== null
                      ? ` · write ${a.attempt}`
                      : ''}
                  {a.run !== null ? ` · run ${a.run}` : ''}
                </p>
                <p className="text-neutral-700">
                  <time dateTime={a.at}>{stamp(a.at)}</time> · lane {a.lane} ·{' '}
                  {a.invocationId ? (
                    <span title={a.invocationId}>
                      invocation {no ? `#${no} ` : ''}
                      <code className="font-mono text-xs">{a.invocationId.slice(0, 8)}</code>
                    </span>
                  ) : (
                    'no invocation held the lane'
                  )}
                </p>
                {a.rows !== null ? (
                  <p className="text-neutral-700">
                    {formatCount(a.rows)} records · {formatBytes(a.bytes ?? 0)}
                  </p>
                ) : null}
                {a.error || a.errorKind ? (
                  <p className="text-state-failed-ink break-words">
                    {a.errorKind ? <code>{a.errorKind}</code> : null}
                    {a.errorKind && a.error ? ': ' : ''}
                    {a.error}
                  </p>
                ) : null}
                {a.nextRetryAt ? <p className="text-neutral-700">Next try due {stamp(a.nextRetryAt)}</p> : null}
                {a.replacedBecause ? <p className="text-neutral-700">Replaced because: {a.replacedBecause}</p> : null}
                {a.sha256 ? <p className="font-mono text-xs break-all text-neutral-600">{a.sha256}</p> : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
