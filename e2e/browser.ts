import { existsSync } from 'node:fs';
import { chromium, type LaunchOptions } from '@playwright/test';

/**
 * Which Chromium the end-to-end tests drive: Playwright's own build where `playwright install chromium`
 * has put it, else Debian's (`apt-get install -y chromium`), else none (scripts/ensure-browser.ts then
 * installs one or says what to run).
 */
export type BrowserChoice = { kind: 'playwright' | 'system'; executablePath: string };

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export function findBrowser(): BrowserChoice | null {
  const bundled = chromium.executablePath();
  if (existsSync(bundled)) return { kind: 'playwright', executablePath: bundled };
  if (existsSync(SYSTEM_CHROMIUM)) return { kind: 'system', executablePath: SYSTEM_CHROMIUM };
  return null;
}

/**
 * Launch options for the choice. Debian's Chromium runs as root here, so no sandbox; without the
 * background-networking flags it keeps dialling Google's hosts, which a closed network refuses many at a time.
 */
export function launchOptionsFor(choice: BrowserChoice | null): LaunchOptions {
  if (choice?.kind !== 'system') return {};
  return {
    executablePath: choice.executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  };
}
