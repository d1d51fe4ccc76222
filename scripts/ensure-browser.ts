import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findBrowser } from '../e2e/browser';

/**
 * First step of `npm test`: make sure the end-to-end tests have a Chromium before the long steps run.
 * In order: one already installed; Playwright's own download (works where its download host is
 * reachable); Debian's package when running as root with apt; otherwise stop with what to run.
 */
const PLAYWRIGHT_INSTALL_TIMEOUT_MS = 10 * 60_000;
const APT_TIMEOUT_MS = 15 * 60_000;

function run(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): boolean {
  console.log(`ensure-browser: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', timeout: timeoutMs, env });
  return result.status === 0;
}

function found(how: string): never {
  const choice = findBrowser();
  if (!choice) throw new Error('unreachable: found() without a browser');
  console.log(
    `ensure-browser: ${how}: ${choice.kind === 'playwright' ? "Playwright's Chromium" : "Debian's Chromium"} at ${choice.executablePath}`,
  );
  process.exit(0);
}

if (findBrowser()) found('using');

if (
  run(
    process.execPath,
    ['node_modules/@playwright/test/cli.js', 'install', 'chromium'],
    PLAYWRIGHT_INSTALL_TIMEOUT_MS,
  ) &&
  findBrowser()
) {
  found('installed');
}

const isRoot = process.getuid?.() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (
    run('apt-get', ['update', '-qq'], APT_TIMEOUT_MS, aptEnv) &&
    run('apt-get', ['install', '-y', '-qq', 'chromium'], APT_TIMEOUT_MS, aptEnv) &&
    findBrowser()
  ) {
    found('installed');
  }
}

console.error(`
ensure-browser: no Chromium for the end-to-end tests, and none could be installed.
Install one, then run \`npm test\` again:
  - where Playwright's download host is reachable:  npx playwright install chromium
  - on Debian or Ubuntu:                           sudo apt-get install -y chromium
`);
process.exit(1);
