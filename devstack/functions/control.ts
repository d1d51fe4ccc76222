/**
 * The line protocol between the devstack (Node) and `deno/bootstrap.ts` (Deno). Keep the prefix and
 * message shapes in sync with that file; it cannot import this one (no shared module graph).
 */
export const CONTROL_PREFIX = '\u001ebaton-ctl ';

/**
 * Why the runtime stops a worker, as `beforeunload`'s `detail.reason` names it (supabase/edge-runtime
 * `ext/event_worker/events.rs`, `ShutdownReason`).
 */
export type BeforeUnloadReason = 'CPUTime' | 'Memory' | 'WallClockTime' | 'EarlyDrop' | 'TerminationRequested';

/** stdout lines from the child that start with CONTROL_PREFIX. */
export type ChildMessage =
  | { type: 'boot'; rss: number }
  | { type: 'listening'; port: number }
  | { type: 'boot_error'; message: string }
  /** `cpuMs`: the main thread's CPU from serving to exit, as the function's own last word (null: unknown). */
  | { type: 'exit'; reason: string; cpuMs: number | null };

/** stdin lines to the child. */
export type ParentMessage = { type: 'response_done' } | { type: 'beforeunload'; reason: BeforeUnloadReason };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Parses a control line (prefix already removed); null for anything malformed. */
export function parseChildMessage(text: string): ChildMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  switch (value.type) {
    case 'boot':
      return typeof value.rss === 'number' ? { type: 'boot', rss: value.rss } : null;
    case 'listening':
      return typeof value.port === 'number' ? { type: 'listening', port: value.port } : null;
    case 'boot_error':
      return typeof value.message === 'string' ? { type: 'boot_error', message: value.message } : null;
    case 'exit':
      return typeof value.reason === 'string'
        ? { type: 'exit', reason: value.reason, cpuMs: typeof value.cpuMs === 'number' ? value.cpuMs : null }
        : null;
    default:
      return null;
  }
}
