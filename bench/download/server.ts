import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import { downloadExport } from '../../lib/download/download-export';
import { chunksOf } from '../lib/streams';
import { requiredEnv } from '../lib/env';

/**
 * The download "server" of scenario 4, alone in its own process so its RSS is the route's and nothing
 * else's: GET /download/<jobId> calls downloadExport exactly as the Next.js route does (a user client for
 * the RLS checks, the service-role client for storage) and writes the stream to the socket, honouring
 * backpressure. Prints {"port": n} once listening.
 *
 * Env: API_URL, ANON_KEY, SERVICE_ROLE_KEY, ACCESS_TOKEN (the demo user's).
 */
const user = createClient(requiredEnv('API_URL'), requiredEnv('ANON_KEY'), {
  auth: { persistSession: false, autoRefreshToken: false },
  global: { headers: { Authorization: `Bearer ${requiredEnv('ACCESS_TOKEN')}` } },
});
// The download is recorded under the user, as the route records it: the token's subject.
const userId = String(decodeJwt(requiredEnv('ACCESS_TOKEN')).sub);
const admin = createClient(requiredEnv('API_URL'), requiredEnv('SERVICE_ROLE_KEY'), {
  auth: { persistSession: false, autoRefreshToken: false },
});

const server = http.createServer((req, res) => {
  void (async () => {
    const jobId = /^\/download\/([0-9a-f-]{36})$/.exec(req.url ?? '')?.[1];
    if (!jobId) {
      res.writeHead(404).end();
      return;
    }
    try {
      const response = await downloadExport(
        { user: { supabase: user, userId }, admin },
        jobId,
        new Request(`http://localhost${req.url}`),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (response.body) {
        for await (const chunk of chunksOf(response.body)) {
          if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        }
      }
      res.end();
    } catch (error) {
      console.error(error);
      if (!res.headersSent) res.writeHead(500);
      res.destroy();
    }
  })();
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
