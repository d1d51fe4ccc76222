import { ambiguousRpc, noRpc } from './errors';
import type { Routine } from './schema-cache';

/**
 * Picks the overload of `/rpc/<name>` that the given argument names call, like PostgREST: arguments
 * are matched by name; parameters with defaults may be left out. A POST whose keys match no overload
 * may call a function with one unnamed json/jsonb parameter, which then receives the whole body.
 */

export type ResolvedRoutine = {
  routine: Routine;
  /** The argument names passed by name (a subset of the routine's parameters). */
  argNames: string[];
  /** The body is passed whole to the single unnamed json/jsonb parameter. */
  singleJson: boolean;
};

function required(routine: Routine): string[] {
  return routine.params.filter((p) => !p.hasDefault).map((p) => p.name);
}

/**
 * POST: every body key must be a parameter, every parameter without a default must be given.
 * GET: query keys that are parameters are arguments, the rest are filters on the result.
 */
export function resolveRoutine(
  name: string,
  candidates: Routine[],
  keys: string[],
  method: 'GET' | 'POST',
): ResolvedRoutine {
  const matches: ResolvedRoutine[] = [];
  for (const routine of candidates) {
    const names = new Set(routine.params.map((p) => p.name));
    if (routine.params.some((p) => p.name === '')) continue;
    const given = keys.filter((k) => names.has(k));
    if (method === 'POST' && given.length !== keys.length) continue;
    if (!required(routine).every((r) => given.includes(r))) continue;
    matches.push({ routine, argNames: given, singleJson: false });
  }
  if (matches.length > 1 && method === 'GET') {
    // The overload that consumes the most query keys wins; the rest of the keys filter its result.
    const best = Math.max(...matches.map((m) => m.argNames.length));
    const top = matches.filter((m) => m.argNames.length === best);
    matches.splice(0, matches.length, ...top);
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1)
    throw ambiguousRpc(
      name,
      matches.map((m) => m.routine.params.map((p) => `${p.name} => ${p.type}`)),
    );
  if (method === 'POST') {
    const single = candidates.filter(
      (r) => r.params.length === 1 && r.params[0]!.name === '' && /^jsonb?$/.test(r.params[0]!.type),
    );
    if (single.length === 1) return { routine: single[0]!, argNames: [], singleJson: true };
  }
  throw noRpc(name, [...keys].sort());
}
