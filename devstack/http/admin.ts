import { z } from 'zod';
import type { DevstackContext } from '../context';
import { faultSettingsSchema, faultTargets } from '../faults';
import { SigningKeyError } from '../jwt';
import type { FunctionUsage } from '../functions/handler';
import { quotaPatchSchema, type QuotaPatch, type RealtimeUsage } from '../realtime/quota';
import type { ReadSummary } from '../storage/read-meter';
import { readBody } from './body';
import { sendJson } from './respond';
import type { RouteHandler } from './route';

const faultsPatchSchema = z.partialRecord(z.enum(faultTargets), faultSettingsSchema.partial());
const killSchema = z.object({ name: z.string().min(1) }).strict();

export type AdminHooks = {
  /** SIGKILLs the running invocations of a function; returns how many. */
  killFunction: (name: string) => number;
  /** What a function's ended invocations used (CPU measured from outside, limits hit). */
  functionUsage: (name: string) => FunctionUsage;
  /** Object reads the storage stand-in served whose path contains `match`. */
  storageReads: (match: string) => ReadSummary;
  /** Realtime's meter: messages, joins, connections, peaks, over-quota events. */
  realtimeUsage: () => RealtimeUsage;
  /** Other Realtime limits (tests); the rate counters start afresh. */
  configureRealtime: (patch: QuotaPatch) => RealtimeUsage;
  /** The configured plan's limits again. */
  restoreRealtime: () => RealtimeUsage;
};

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** The body parsed and validated, or null after answering 400 with what was wrong. */
async function readValidBody<S extends z.ZodType>(
  req: Parameters<RouteHandler>[0],
  res: Parameters<RouteHandler>[1],
  schema: S,
): Promise<z.infer<S> | null> {
  let json: unknown;
  try {
    json = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
  } catch {
    sendJson(res, 400, { message: 'Body must be JSON' });
    return null;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    sendJson(res, 400, { message: z.prettifyError(parsed.error) });
    return null;
  }
  return parsed.data;
}

/**
 * Devstack-only controls, loopback only: `GET/PUT /_devstack/faults` (latency, 5xx and timeout rates for
 * the Typesense and Storage stand-ins), `DELETE /_devstack/faults` to clear them, and
 * `POST /_devstack/functions/kill {"name"}` to crash a function's running invocations outright
 * (no `beforeunload`), as a host failure would; `GET /_devstack/functions/usage?name=<function>` for what
 * its ended invocations used (main-thread CPU measured from outside, how many each limit stopped); `GET /_devstack/storage/reads?match=<text>` to count
 * the object reads storage served (started, in flight, completed, aborted, bytes); Realtime's meter,
 * `GET /_devstack/realtime/usage` (messages sent and delivered, joins, connections, peak rates, over-quota
 * events), and its limits, `PUT /_devstack/realtime/quota` (a plan, single limits, the rate tick: tests)
 * and `DELETE /_devstack/realtime/quota` (the configured plan again); and the JWT signing
 * keys the dashboard manages on hosted projects: `GET /_devstack/signing-keys`, `POST /_devstack/signing-keys`
 * (a new standby key), `POST /_devstack/signing-keys/rotate`, `POST /_devstack/signing-keys/<kid>/revoke`.
 */
export function createAdminHandler(ctx: DevstackContext, hooks: AdminHooks): RouteHandler {
  return async (req, res, subpath, url) => {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendJson(res, 403, { message: 'devstack admin endpoints answer on loopback only' });
      return;
    }
    if (subpath === '/functions/kill' && req.method === 'POST') {
      const body = await readValidBody(req, res, killSchema);
      if (body) sendJson(res, 200, { killed: hooks.killFunction(body.name) });
      return;
    }
    if (subpath === '/functions/usage' && req.method === 'GET') {
      sendJson(res, 200, hooks.functionUsage(url.searchParams.get('name') ?? ''));
      return;
    }
    if (subpath === '/storage/reads' && req.method === 'GET') {
      sendJson(res, 200, hooks.storageReads(url.searchParams.get('match') ?? ''));
      return;
    }
    if (subpath === '/realtime/usage' && req.method === 'GET') {
      sendJson(res, 200, hooks.realtimeUsage());
      return;
    }
    if (subpath === '/realtime/quota') {
      if (req.method === 'PUT') {
        const body = await readValidBody(req, res, quotaPatchSchema);
        if (body) sendJson(res, 200, hooks.configureRealtime(body));
      } else if (req.method === 'DELETE') {
        sendJson(res, 200, hooks.restoreRealtime());
      } else {
        sendJson(res, 405, { message: 'Use PUT or DELETE' });
      }
      return;
    }
    if (subpath.startsWith('/signing-keys')) {
      await signingKeys(ctx, req, res, subpath);
      return;
    }
    if (subpath !== '/faults') {
      sendJson(res, 404, { message: 'Unknown devstack admin endpoint' });
      return;
    }
    if (req.method === 'DELETE') {
      ctx.faults.reset();
    } else if (req.method === 'PUT') {
      const body = await readValidBody(req, res, faultsPatchSchema);
      if (!body) return;
      for (const target of faultTargets) {
        const patch = body[target];
        if (patch) ctx.faults.set(target, patch);
      }
    } else if (req.method !== 'GET') {
      sendJson(res, 405, { message: 'Use GET, PUT or DELETE' });
      return;
    }
    sendJson(res, 200, Object.fromEntries(faultTargets.map((t) => [t, ctx.faults.get(t)])));
  };
}

async function signingKeys(
  ctx: DevstackContext,
  req: Parameters<RouteHandler>[0],
  res: Parameters<RouteHandler>[1],
  subpath: string,
): Promise<void> {
  const revoke = /^\/signing-keys\/([^/]+)\/revoke$/.exec(subpath);
  try {
    if (subpath === '/signing-keys' && req.method === 'GET') {
      sendJson(res, 200, { keys: ctx.jwt.signingKeys() });
    } else if (subpath === '/signing-keys' && req.method === 'POST') {
      const { kid, status } = await ctx.jwt.createStandbyKey();
      sendJson(res, 201, { kid, status });
    } else if (subpath === '/signing-keys/rotate' && req.method === 'POST') {
      const { kid, status } = await ctx.jwt.rotate();
      sendJson(res, 200, { kid, status });
    } else if (revoke && req.method === 'POST') {
      const { kid, status } = await ctx.jwt.revoke(decodeURIComponent(revoke[1]!));
      sendJson(res, 200, { kid, status });
    } else {
      sendJson(res, 404, { message: 'Unknown devstack admin endpoint' });
    }
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    sendJson(res, 409, { message: error.message });
  }
}
