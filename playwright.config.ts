import { defineConfig, devices } from '@playwright/test';
import { findBrowser, launchOptionsFor } from './e2e/browser';
import { e2ePorts } from './e2e/ports';

// Playwright's own Chromium, else Debian's: `npm test` makes sure one exists first (scripts/ensure-browser.ts).
const launchOptions = launchOptionsFor(findBrowser());

const baseURL = `http://127.0.0.1:${e2ePorts.next}`;

export default defineConfig({
  testDir: './e2e',
  outputDir: 'test-results/e2e',
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions,
    // Spinners still: every running shard's spinner kept the compositor drawing 60 frames a second, which
    // took about a fifth of the suite's CPU on a 2-core machine. Nothing the tests check moves.
    reducedMotion: 'reduce',
  },
  projects: [
    { name: 'setup', testMatch: /.*\.setup\.ts/ },
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], launchOptions, storageState: 'test-results/e2e/.auth/demo-user.json' },
      dependencies: ['setup'],
    },
  ],
  webServer: {
    // Devstack (fresh data dir, small demo) + a production build of the dashboard, on ports of their own
    // so a running `npm run dev` is not disturbed. The build takes a few minutes on a busy 2-core machine.
    command: 'npx tsx e2e/serve.ts',
    url: `${baseURL}/sign-in`,
    timeout: 600_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
