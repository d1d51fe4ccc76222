import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The project brings its own Node (the `node` package from the npm registry puts it first on the PATH
 * of every npm script), so a machine with an end-of-life Node still runs everything on 24 LTS.
 * `.nvmrc`, `engines` and that pin must name the same release line.
 */
const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const pinned = pkg.devDependencies.node;
const major = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);

describe('Node version', () => {
  it('is pinned exactly, and .nvmrc names the same version', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readFileSync(path.join(root, '.nvmrc'), 'utf8').trim()).toBe(pinned);
  });

  it('engines names the pinned release line', () => {
    expect(pkg.engines.node).toBe(`${major(pinned!)}.x`);
  });

  it('runs the tests (npm scripts put the pinned Node first on the PATH)', () => {
    expect(major(process.version)).toBe(major(pinned!));
  });
});
