import { spawn } from 'node:child_process';
import { DEFAULT_DASHBOARD_PORT, dashboardPort } from './dashboard-port';
import { runDevstack, stopOnSignals } from './main';
import { projectRoot } from './stack';

/**
 * `npm run dev`: the devstack with demo data, then `next dev` on http://localhost:3000 (or `PORT`) reading
 * the `.env.local` the devstack just wrote. Ctrl-C stops both.
 */
const port = dashboardPort(process.env);
const stack = await runDevstack(process.argv.slice(2));
console.log(`  Dashboard      http://localhost:${port}${port === DEFAULT_DASHBOARD_PORT ? '' : ' (PORT)'}\n`);
const next = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'dev', '--port', String(port)], {
  cwd: projectRoot,
  stdio: 'inherit',
});
stopOnSignals(async () => {
  next.kill('SIGTERM');
  await stack.stop();
});
next.on('exit', (code) => {
  void stack.stop().finally(() => process.exit(code ?? 0));
});
