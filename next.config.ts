import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // End-to-end tests run their own `next dev` beside a developer's; each needs its own build dir.
  distDir: process.env.BATON_NEXT_DIST_DIR ?? '.next',
  // Route handlers stream large downloads; nothing here needs the image optimizer or telemetry.
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ['ws'],
};

export default nextConfig;
