import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDevstackConfig } from '../config';
import { resolveDenoBinary } from './deno-binary';
import { defaultFunctionCacheDir, HOSTED_DENO_VERSION, nodeModulesTreeAbove } from './hosted-runtime';

const projectRoot = path.resolve(import.meta.dirname, '..', '..');

describe('the function runner is the hosted Deno level', () => {
  it('pins the npm package `deno` to the hosted level', () => {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(pkg.devDependencies.deno, 'package.json must pin deno to HOSTED_DENO_VERSION').toBe(HOSTED_DENO_VERSION);
  });

  it('finds a Deno binary of exactly that version', () => {
    const printed = execFileSync(resolveDenoBinary(), ['--version'], { encoding: 'utf8' });
    expect(/^deno (\S+)/.exec(printed)?.[1]).toBe(HOSTED_DENO_VERSION);
  });
});

describe("the functions' module cache", () => {
  it('lies outside any folder tree with a node_modules by default', () => {
    expect(nodeModulesTreeAbove(defaultFunctionCacheDir())).toBeNull();
    expect(readDevstackConfig({}).functionCacheDir).toBe(defaultFunctionCacheDir());
  });

  it('is refused inside the repository, whose node_modules functions must never reach', () => {
    expect(nodeModulesTreeAbove(path.join(projectRoot, '.devstack', 'deno'))).toBe(projectRoot);
    expect(() => readDevstackConfig({ DEVSTACK_DENO_DIR: path.join(projectRoot, '.devstack', 'deno') })).toThrow(
      /DEVSTACK_DENO_DIR .* has a node_modules folder/,
    );
  });
});
