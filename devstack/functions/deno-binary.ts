import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

let cached: string | undefined;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The real Deno executable, never `node_modules/.bin/deno`: that is `bin.cjs`, a Node wrapper whose
 * `spawnSync` would sit between us and Deno, so our SIGKILL (wall clock, memory cap) would kill the
 * wrapper and orphan Deno. The npm package's own `install_api.cjs#runInstall()` knows where the binary
 * is (its own folder after postinstall, else `@deno/<platform>`), so ask it; fall back to `deno` on PATH.
 */
export function resolveDenoBinary(): string {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    const installApi: unknown = require('deno/install_api.cjs');
    if (typeof installApi === 'object' && installApi !== null && 'runInstall' in installApi) {
      const runInstall = installApi.runInstall;
      if (typeof runInstall === 'function') {
        const found: unknown = runInstall();
        if (typeof found === 'string' && isExecutable(found)) {
          cached = found;
          return found;
        }
      }
    }
  } catch {
    // The npm package is missing or changed shape: try PATH below.
  }
  const binary = process.platform === 'win32' ? 'deno.exe' : 'deno';
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    if (dir && isExecutable(candidate)) {
      cached = candidate;
      return candidate;
    }
  }
  throw new Error('Deno not found: run `npm install` (the `deno` npm package provides it) or put deno on PATH');
}
