import { test as base, expect, type Browser, type BrowserContext } from '@playwright/test';

/**
 * The `test` every spec uses: it records each Content-Security-Policy violation in every page and frame
 * (a `securitypolicyviolation` listener added before any of the page's own scripts) and fails the test on
 * any. A policy too strict for the UI shows up here — a toast without styles, a dialog whose scroll lock
 * was refused — instead of as a quietly broken screen.
 */
export type CspViolation = {
  /** 'enforce': the browser refused it; 'report': a Report-Only policy (`next dev`'s copy of production's styles). */
  disposition: string;
  directive: string;
  blockedURI: string;
  sample: string;
  sourceFile: string;
  lineNumber: number;
  documentURI: string;
};

type CspRecorder = {
  /** Returns the violations recorded so far and forgets them: for a test that provokes one on purpose. */
  take(): CspViolation[];
};

type Fixtures = {
  cspViolations: CspRecorder;
  /** A second browser context (another user, another session), watched like the test's own. */
  newContext: Browser['newContext'];
};

const REPORT_BINDING = '__batonReportCspViolation';

async function recordCspViolations(context: BrowserContext, into: CspViolation[]) {
  // A binding, not console messages: it survives navigations and carries the event's fields as they are.
  await context.exposeBinding(REPORT_BINDING, (_source, violation: CspViolation) => {
    into.push(violation);
  });
  await context.addInitScript((binding) => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as Record<string, (v: unknown) => Promise<void>>)[binding];
      void report?.({
        disposition: event.disposition,
        directive: event.effectiveDirective,
        blockedURI: event.blockedURI,
        sample: event.sample,
        sourceFile: event.sourceFile,
        lineNumber: event.lineNumber,
        documentURI: event.documentURI,
      });
    });
  }, REPORT_BINDING);
}

/** Lets reports sent by a page's last moments arrive: one round trip to each open page after them. */
async function flushReports(contexts: BrowserContext[]) {
  const pages = contexts.flatMap((context) => context.pages());
  await Promise.all(pages.map((page) => page.evaluate(() => undefined).catch(() => undefined)));
}

// Each fixture's second argument is Playwright's `use`, named `provide` so React's hook lint rule leaves it be.
export const test = base.extend<Fixtures>({
  cspViolations: [
    async ({ context }, provide) => {
      const violations: CspViolation[] = [];
      await recordCspViolations(context, violations);
      await provide({ take: () => violations.splice(0) });
      await flushReports([context]);
      expect(violations, 'Content-Security-Policy violations in the pages of this test').toEqual([]);
    },
    { auto: true },
  ],

  newContext: async ({ browser }, provide) => {
    const opened: BrowserContext[] = [];
    const violations: CspViolation[] = [];
    await provide(async (options) => {
      const context = await browser.newContext(options);
      opened.push(context);
      await recordCspViolations(context, violations);
      return context;
    });
    await flushReports(opened);
    await Promise.all(opened.map((context) => context.close()));
    expect(violations, 'Content-Security-Policy violations in the extra contexts of this test').toEqual([]);
  },
});

export { expect };
