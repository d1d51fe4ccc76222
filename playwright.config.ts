import { existsSync } from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import { e2ePorts } from './e2e/ports';

/**
 * Playwright cannot download its own browsers on our machines: use Debian's Chromium where it is
 * installed (`apt-get install -y chromium`), Playwright's own browser elsewhere.
 */
const systemChromium = '/usr/bin/chromium';
const launchOptions = existsSync(systemChromium)
  ? {
      executablePath: systemChromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    }
  : {};

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
    // Devstack (fresh data dir, small demo) + `next dev`, on ports of their own so a running
    // `npm run dev` is not disturbed.
    command: 'npx tsx e2e/serve.ts',
    url: `${baseURL}/sign-in`,
    timeout: 300_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
