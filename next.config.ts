import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // End-to-end tests run their own `next dev` beside a developer's; each needs its own build dir.
  distDir: process.env.BATON_NEXT_DIST_DIR ?? '.next',
  // Route handlers stream large downloads; nothing here needs the image optimizer or telemetry.
  poweredByHeader: false,
  reactStrictMode: true,
  // `next dev` serves its scripts only to the origins it knows: without these, a page opened at
  // http://127.0.0.1:3000 (the address the devstack prints) never hydrates, so nothing on it works.
  allowedDevOrigins: ['127.0.0.1', 'localhost'],
  // The end-to-end build (e2e/serve.ts) skips Next's own TypeScript pass: `npm test` has type-checked the
  // same code just before (`npm run typecheck`), and the pass takes 15–20 s of a 2-core machine.
  typescript: { ignoreBuildErrors: process.env.BATON_NEXT_SKIP_TYPECHECK === '1' },
};

export default nextConfig;
