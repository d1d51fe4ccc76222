import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // Route handlers stream large downloads; nothing here needs the image optimizer or telemetry.
  poweredByHeader: false,
  reactStrictMode: true,
  serverExternalPackages: ['ws'],
};

export default nextConfig;
