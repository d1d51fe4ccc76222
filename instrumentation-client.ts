import { z } from 'zod';

/**
 * Before any of the app's code runs in the browser: zod compiles its object parsers with `new Function`
 * where it may, and finds out whether it may by trying once. The page policy has no 'unsafe-eval' in
 * production (lib/http/security-headers.ts), so that try is refused and reported as a Content-Security-Policy
 * violation in every user's console on every page. zod's parsers give the same answers without compiling.
 */
z.config({ jitless: true });
