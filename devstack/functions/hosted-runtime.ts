import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The Deno level hosted Edge Functions run. They do not run stock Deno: Supabase's `edge-runtime` embeds a
 * Deno of its own level — the `deno` crate 2.1.4 (supabase/edge-runtime `deno/Cargo.toml` @b1edf45,
 * 2026-04-30; the Supabase CLI 2.117.0 local stack runs edge-runtime v1.74.3) — and its maintainers wrote in
 * July 2026 that no upgrade is planned (supabase/edge-runtime issue #713). The devstack runs every function
 * with exactly this Deno: the npm package `deno`, pinned to this version in package.json (a unit test fails
 * when the two differ, or when the binary the devstack finds is another version). Following a hosted
 * upgrade is this line and that pin.
 */
export const HOSTED_DENO_VERSION = '2.1.4';

/**
 * Where function processes keep their module cache (DENO_DIR): outside any folder tree that holds a
 * `node_modules`. Deno 2.1 resolves an npm package's `require()` by walking up from the package's files,
 * so a cache inside the repository let `debug`'s optional `require('supports-color')` find the project's
 * ES-module copy and the function died ("require is not defined"); hosted bundles have no such folder.
 */
export function defaultFunctionCacheDir(env: Record<string, string | undefined> = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'baton', `deno-${HOSTED_DENO_VERSION}`);
}

/** The nearest folder at or above `dir` that holds a `node_modules`, or null. */
export function nodeModulesTreeAbove(dir: string): string | null {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (existsSync(path.join(current, 'node_modules'))) return current;
    if (path.dirname(current) === current) return null;
  }
}
